import {
  parseEventPayload,
  type EventDefinitions,
  type EventInput,
  type EventName,
} from '../core/eventDefinitions.js';
import { RealtimeError } from '../core/errors.js';
import type { PublishOptions } from '../core/publishValidation.js';
import type { Realtime } from './realtime.js';
import { wrapRealtime } from './realtimeWrapper.js';

export interface TypedBatchItem<Events extends EventDefinitions, Name extends EventName<Events> = EventName<Events>> {
  channel: string;
  event: Name;
  data: EventInput<Events, Name>;
  socketId?: string | undefined;
}

/**
 * A Realtime whose `publish()` only accepts events from a `defineEvents()` definition and
 * validates every payload against its schema before anything is sent. `untyped` is the
 * underlying instance for events outside the definition.
 */
export interface TypedRealtime<Events extends EventDefinitions> extends Omit<Realtime, 'publish' | 'publishBatch'> {
  readonly events: Events;
  publish<Name extends EventName<Events>>(
    channel: string | readonly string[],
    event: Name,
    data: EventInput<Events, Name>,
    options?: PublishOptions,
  ): Promise<void>;
  publishBatch(items: readonly TypedBatchItem<Events>[]): Promise<void>;
  readonly untyped: Realtime;
}

/**
 * `withEvents(createRealtime(), events)`: typed publishing. A payload that does not match its
 * schema rejects with RealtimeError('invalid_payload') naming the field; an event name that is
 * not defined rejects with 'invalid_event'. What is sent is the schema's parsed output.
 */
export function withEvents<Events extends EventDefinitions>(realtime: Realtime, events: Events): TypedRealtime<Events> {
  const own: Pick<TypedRealtime<Events>, 'events' | 'untyped' | 'publish' | 'publishBatch'> = {
    events,
    untyped: realtime,
    async publish(channel, event, data, options) {
      const parsed = parseEventPayload(events, event, data);
      await realtime.publish(channel, event, parsed, options);
    },
    async publishBatch(items) {
      const parsed = items.map((item, index) => {
        try {
          return { ...item, data: parseEventPayload(events, item.event, item.data) };
        } catch (error) {
          if (!(error instanceof RealtimeError)) throw error;
          throw new RealtimeError(error.code, `batch event ${index}: ${error.message}`, {
            details: { ...error.details, index },
          });
        }
      });
      await realtime.publishBatch(parsed);
    },
  };
  return wrapRealtime(realtime, own);
}
