import { RealtimeError } from './errors.js';

/**
 * Event names: Pusher's 200-character limit; no whitespace or control characters (Ably and
 * Pusher both accept them, but they are always a bug and break log lines). Prefixes used by the
 * protocols themselves are reserved so an app event can never impersonate a system event.
 */
export const MAX_EVENT_NAME_LENGTH = 200;
const EVENT_NAME_PATTERN = /^[\x21-\x7e]+$/;
export const RESERVED_EVENT_PREFIXES = ['pusher:', 'pusher_internal:', 'realtime:'] as const;
/** Client events (whispers) are the only events a browser may send; Pusher requires the prefix. */
export const CLIENT_EVENT_PREFIX = 'client-';

export function eventNameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string') return 'an event name must be a string';
  if (name.length === 0) return 'an event name must not be empty';
  if (name.length > MAX_EVENT_NAME_LENGTH) {
    return `event name is ${name.length} characters; the limit is ${MAX_EVENT_NAME_LENGTH}`;
  }
  if (!EVENT_NAME_PATTERN.test(name)) {
    return `event name ${JSON.stringify(name)} may only contain printable ASCII without spaces`;
  }
  const reserved = RESERVED_EVENT_PREFIXES.find((prefix) => name.startsWith(prefix));
  if (reserved) return `event names starting with ${JSON.stringify(reserved)} are reserved`;
  return undefined;
}

export function assertEventName(name: unknown): asserts name is string {
  const problem = eventNameProblem(name);
  if (problem) throw new RealtimeError('invalid_event', problem, { details: { event: name } });
}
