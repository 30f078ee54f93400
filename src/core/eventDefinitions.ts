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
