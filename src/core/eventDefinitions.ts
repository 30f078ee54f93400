import type { z } from 'zod';
import { RealtimeError } from './errors.js';
import { assertEventName } from './events.js';

/**
 * Typed events: one zod schema per event name, shared by the server (validates before publishing)
 * and the client (infers what it receives).
 *
 * ```ts
 * export const events = defineEvents({
 *   'order.updated': z.object({ orderId: z.string(), status: z.enum(['paid', 'shipped']) }),
 * });
 * type OrderUpdated = EventPayload<typeof events, 'order.updated'>;
 * ```
 */
export type EventSchemas = Record<string, z.ZodType>;

export interface EventDefinitions<Schemas extends EventSchemas = EventSchemas> {
  readonly schemas: Schemas;
  /** Event names, in the order defined. (Typed loosely: `keyof Schemas` here would make definitions invariant.) */
  readonly names: readonly string[];
}

/** The names of a definition's events. */
export type EventName<Events extends EventDefinitions> = keyof Events['schemas'] & string;
/** What a subscriber receives for `Name` (the schema's output). */
export type EventPayload<Events extends EventDefinitions, Name extends EventName<Events>> = z.output<Events['schemas'][Name]>;
/** What `publish()` accepts for `Name` (the schema's input). */
export type EventInput<Events extends EventDefinitions, Name extends EventName<Events>> = z.input<Events['schemas'][Name]>;

export function defineEvents<const Schemas extends EventSchemas>(schemas: Schemas): EventDefinitions<Schemas> {
  const names = Object.keys(schemas);
  for (const name of names) {
    assertEventName(name);
    const schema = schemas[name] as { safeParse?: unknown } | undefined;
    if (!schema || typeof schema.safeParse !== 'function') {
      throw new RealtimeError('invalid_config', `defineEvents: ${JSON.stringify(name)} needs a zod schema`);
    }
  }
  return Object.freeze({ schemas, names: Object.freeze([...names]) });
}

/** `['items', 0, 'qty']` -> `items[0].qty`; the root is `data`. */
function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out || '(data)';
}

/**
 * Validates `data` for event `name` and returns the parsed value (transforms and defaults
 * applied). A wrong payload is a RealtimeError('invalid_payload') whose message names the field.
 */
export function parseEventPayload<Events extends EventDefinitions, Name extends EventName<Events>>(
  events: Events,
  name: Name,
  data: unknown,
): EventPayload<Events, Name> {
  const schema = Object.prototype.hasOwnProperty.call(events.schemas, name) ? events.schemas[name] : undefined;
  if (!schema) {
    throw new RealtimeError('invalid_event', `event ${JSON.stringify(name)} is not defined in defineEvents()`, {
      details: { event: name, defined: events.names },
    });
  }
  const result = schema.safeParse(data);
  if (result.success) return result.data as EventPayload<Events, Name>;
  const issues = result.error.issues.map((issue) => ({ field: fieldPath(issue.path), message: issue.message }));
  const first = issues[0]!;
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? 's' : ''})` : '';
  throw new RealtimeError('invalid_payload', `event ${JSON.stringify(name)}: ${first.field}: ${first.message}${more}`, {
    details: { event: name, field: first.field, issues },
  });
}

/**
 * Typed events in client code, declared once per app. Register the definitions (in the file that
 * calls `defineEvents`) and `subscribe`, `useEvent`, `useChannel` and `whisper` take their event
 * names and payload types from them; an event name that is not defined is a type error:
 *
 * ```ts
 * declare module 'next-realtime' {
 *   interface Register {
 *     events: typeof events;
 *   }
 * }
 * ```
 *
 * Without a registration every event name is accepted and payloads are `unknown` (or the type
 * the call names, `useEvent<Order>(...)`). Types only: what a browser receives is not validated.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled by the app's module augmentation
export interface Register {}

/** The app's registered definitions, or `undefined` when it registered none. */
export type RegisteredEvents = Register extends { events: infer Events extends EventDefinitions } ? Events : undefined;

// Each type below infers the registered schemas in its own condition (`infer S`): narrowing
// `RegisteredEvents` in a true branch would intersect it with EventDefinitions, whose
// Record<string, ...> schemas make every string an event name.

/** `Typed` once the app registered its events, `Untyped` before: the one switch every client signature uses. */
export type IfEventsRegistered<Typed, Untyped> = Register extends { events: EventDefinitions } ? Typed : Untyped;

/** Event names the client accepts: the registered ones, or any string when none are registered. */
export type KnownEventName = Register extends { events: { schemas: infer S extends EventSchemas } } ? keyof S & string : string;

/** What a handler receives for `Name`: the registered schema's output, else `unknown`. */
export type KnownEventPayload<Name extends string> = Register extends { events: { schemas: infer S extends EventSchemas } }
  ? Name extends keyof S
    ? z.output<S[Name]>
    : unknown
  : unknown;

/** The registered client events (whispers), with or without their `client-` prefix. */
export type KnownWhisperName = Register extends { events: { schemas: infer S extends EventSchemas } }
  ? Extract<keyof S, `client-${string}`> | (keyof S extends infer Full ? (Full extends `client-${infer Short}` ? Short : never) : never)
  : string;

/** What `whisper(event, data)` sends for `Name` (the registered `client-` event's input). */
export type KnownWhisperData<Name extends string> = Register extends { events: { schemas: infer S extends EventSchemas } }
  ? `client-${Name}` extends keyof S
    ? z.input<S[`client-${Name}`]>
    : Name extends keyof S
      ? z.input<S[Name]>
      : unknown
  : unknown;

/**
 * `useChannel` / `subscribeAll` handler arguments once events are registered: `event` is one of
 * the registered names and `data` one of their payloads. (Not a union of `[event, data]`
 * tuples: TypeScript refuses such a handler written with fewer parameters than the tuples have.
 * `useEvent` gives each event its exact payload type.)
 */
export type KnownChannelEventArgs<Meta> = [event: KnownEventName, data: KnownEventPayload<KnownEventName>, meta: Meta];
