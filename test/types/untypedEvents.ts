// Type-checked by `npm run typecheck` (never run): an app that registered no events keeps the
// untyped signatures. (Registered events are checked in test/types/registered, an app of its own.)
import { expectTypeOf } from 'vitest';
import type { KnownEventName } from '../../src/index.js';
import { createRealtimeClient } from '../../src/client/index.js';
import { useChannel, useEvent } from '../../src/client/react/index.js';

expectTypeOf<KnownEventName>().toEqualTypeOf<string>();

export function UntypedHooks() {
  useEvent('orders.1', 'anything', (data) => expectTypeOf(data).toEqualTypeOf<unknown>());
  // The call may name the payload type.
  useEvent<{ status: string }>('orders.1', 'order.updated', (data) => expectTypeOf(data.status).toEqualTypeOf<string>());
  const channel = useChannel('private-orders.1', (event, data) => {
    expectTypeOf(event).toEqualTypeOf<string>();
    expectTypeOf(data).toEqualTypeOf<unknown>();
  });
  channel.whisper('typing', { anything: true });
  // @ts-expect-error an event name is still a string
  useEvent('orders.1', 42, () => {});
  return null;
}

export function untypedClient() {
  const client = createRealtimeClient({ provider: 'memory' });
  client.subscribe<number>('orders.1', 'count', (data) => expectTypeOf(data).toEqualTypeOf<number>());
  client.whisper('private-orders.1', 'client-typing', 'any payload');
  // Wrapping the method keeps working (tests and instrumentation do this).
  const subscribe = client.subscribe;
  client.subscribe = (...args) => subscribe(...args);
}
