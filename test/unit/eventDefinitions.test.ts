import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { defineEvents, isRealtimeError, RealtimeError, type EventInput, type EventName, type EventPayload } from '../../src/index.js';
import { createRealtime, withEvents } from '../../src/server/index.js';
import { getMemoryHub } from '../../src/testing/index.js';

const events = defineEvents({
  'order.updated': z.object({
    orderId: z.string(),
    status: z.enum(['paid', 'shipped']),
    items: z.array(z.object({ sku: z.string(), qty: z.number().int().positive() })).default([]),
  }),
  'chat.message': z.object({ text: z.string().min(1).max(500), at: z.coerce.date().transform((date) => date.toISOString()) }),
});

let counter = 0;
const opened: Array<{ close(): Promise<void> }> = [];
function typedRealtime() {
  const hub = `events-${process.pid}-${counter++}`;
  const realtime = createRealtime({ provider: 'memory', hub });
  opened.push(realtime);
  return { realtime: withEvents(realtime, events), hub: getMemoryHub(hub) };
}
afterEach(async () => {
  for (const realtime of opened.splice(0)) await realtime.close();
});

async function rejection(promise: Promise<unknown>): Promise<RealtimeError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof RealtimeError) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

describe('defineEvents + withEvents: typed publish', () => {
  it('publishes the parsed payload (defaults and transforms applied), with the sender socket id', async () => {
    const { realtime, hub } = typedRealtime();
    await realtime.publish('private-orders.42', 'order.updated', { orderId: '42', status: 'paid' }, { socketId: '12.34' });
    await realtime.publish('presence-room.1', 'chat.message', { text: 'hi', at: '2026-01-02T03:04:05Z' });
    expect(hub.published.map(({ channels, event, data, socketId }) => ({ channels, event, data, socketId }))).toEqual([
      { channels: ['private-orders.42'], event: 'order.updated', data: { orderId: '42', status: 'paid', items: [] }, socketId: '12.34' },
      { channels: ['presence-room.1'], event: 'chat.message', data: { text: 'hi', at: '2026-01-02T03:04:05.000Z' }, socketId: undefined },
    ]);
  });

  it("rejects a wrong payload with 'invalid_payload' naming the field, and sends nothing", async () => {
    const { realtime, hub } = typedRealtime();
    const wrongStatus = await rejection(realtime.publish('private-orders.42', 'order.updated', { orderId: '42', status: 'lost' as 'paid' }));
    expect(wrongStatus.code).toBe('invalid_payload');
    expect(wrongStatus.message).toMatch(/^event "order.updated": status: /);
    expect(wrongStatus.details).toMatchObject({ event: 'order.updated', field: 'status' });
    const nested = await rejection(
      realtime.publish('private-orders.42', 'order.updated', { orderId: '42', status: 'paid', items: [{ sku: 'a', qty: 1 }, { sku: 'b', qty: -1 }] }),
    );
    expect(nested.message).toContain('items[1].qty');
    const several = await rejection(realtime.publish('private-orders.42', 'order.updated', {} as never));
    expect(several.message).toMatch(/orderId: .*\(and 1 more problem\)/);
    const root = await rejection(realtime.publish('private-orders.42', 'order.updated', 'text' as never));
    expect(root.details?.field).toBe('(data)');
    const unknown = await rejection(realtime.publish('private-orders.42', 'order.deleted' as never, {} as never));
    expect(unknown.code).toBe('invalid_event');
    expect(hub.published).toEqual([]);
  });

  it('validates every batch item before sending any', async () => {
    const { realtime, hub } = typedRealtime();
    const error = await rejection(
      realtime.publishBatch([
        { channel: 'private-orders.1', event: 'order.updated', data: { orderId: '1', status: 'paid' } },
        { channel: 'presence-room.1', event: 'chat.message', data: { text: '', at: 0 } },
      ]),
    );
    expect(error.code).toBe('invalid_payload');
    expect(error.message).toMatch(/^batch event 1: event "chat.message": text: /);
    expect(hub.published).toEqual([]);
    await realtime.publishBatch([{ channel: 'private-orders.1', event: 'order.updated', data: { orderId: '1', status: 'shipped' } }]);
    expect(hub.published).toHaveLength(1);
  });

  it('event names are checked at definition; every entry needs a schema', () => {
    expect(() => defineEvents({ 'pusher:x': z.string() })).toThrow(RealtimeError);
    expect(() => defineEvents({ 'bad name': z.string() })).toThrow(RealtimeError);
    let caught: unknown;
    try {
      defineEvents({ ok: 'not a schema' as never });
    } catch (error) {
      caught = error;
    }
    expect(isRealtimeError(caught, 'invalid_config')).toBe(true);
  });

  it('types: the client infers payloads from the same definition; publish refuses wrong payloads at compile time', () => {
    expectTypeOf<EventName<typeof events>>().toEqualTypeOf<'order.updated' | 'chat.message'>();
    expectTypeOf<EventPayload<typeof events, 'order.updated'>>().toEqualTypeOf<{
      orderId: string;
      status: 'paid' | 'shipped';
      items: { sku: string; qty: number }[];
    }>();
    expectTypeOf<EventPayload<typeof events, 'chat.message'>['at']>().toEqualTypeOf<string>();
    expectTypeOf<EventInput<typeof events, 'order.updated'>['items']>().toEqualTypeOf<{ sku: string; qty: number }[] | undefined>();
    const { realtime } = typedRealtime();
    const compileOnly = () => {
      // @ts-expect-error status must be 'paid' | 'shipped'
      void realtime.publish('x', 'order.updated', { orderId: '1', status: 'lost' });
      // @ts-expect-error not a defined event
      void realtime.publish('x', 'order.deleted', {});
    };
    void compileOnly;
  });
});
