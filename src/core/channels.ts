import { RealtimeError } from './errors.js';

/**
 * Channel model. Canonical names follow the Pusher convention, which every provider here can
 * carry: `orders.42` (public), `private-orders.42`, `presence-room.1`,
 * `private-encrypted-inbox.7`. The kind is read from the prefix.
 */
export type ChannelKind = 'public' | 'private' | 'presence' | 'private-encrypted';

/**
 * One rule that is valid on every provider: Pusher's charset (Ably accepts a superset) and
 * Pusher's 164-character limit (Ably allows more). A name that passes here is accepted by
 * Pusher, Soketi and Ably alike, so switching providers never breaks a channel name.
 */
export const CHANNEL_NAME_PATTERN = /^[A-Za-z0-9_\-=@,.;]+$/;
export const MAX_CHANNEL_NAME_LENGTH = 164;

export function channelKind(name: string): ChannelKind {
  if (name.startsWith('private-encrypted-')) return 'private-encrypted';
  if (name.startsWith('private-')) return 'private';
  if (name.startsWith('presence-')) return 'presence';
  return 'public';
}

/** True for channels that need a signature from the app's auth endpoint before subscribing. */
export function requiresAuthorization(name: string): boolean {
  return channelKind(name) !== 'public';
}

export function isPresenceChannel(name: string): boolean {
  return channelKind(name) === 'presence';
}

export function isEncryptedChannel(name: string): boolean {
  return channelKind(name) === 'private-encrypted';
}

/** Returns the reason a channel name is invalid, or undefined when it is valid. */
export function channelNameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string') return 'a channel name must be a string';
  if (name.length === 0) return 'a channel name must not be empty';
  if (name.length > MAX_CHANNEL_NAME_LENGTH) {
    return `channel name is ${name.length} characters; the limit is ${MAX_CHANNEL_NAME_LENGTH}`;
  }
  if (!CHANNEL_NAME_PATTERN.test(name)) {
    return `channel name ${JSON.stringify(name)} may only contain letters, digits and _ - = @ , . ;`;
  }
  for (const prefix of ['private-', 'presence-', 'private-encrypted-']) {
    if (name === prefix.slice(0, -1) || name === prefix) {
      return `channel name ${JSON.stringify(name)} is only a prefix; add a name after it`;
    }
  }
  if (name.startsWith('#')) return 'channel names starting with # are reserved';
  return undefined;
}

export function assertChannelName(name: unknown): asserts name is string {
  const problem = channelNameProblem(name);
  if (problem) {
    throw new RealtimeError('invalid_channel', problem, { details: { channel: name } });
  }
}
