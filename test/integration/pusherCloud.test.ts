import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isRealtimeError } from '../../src/index.js';
import { createRealtime, type Realtime } from '../../src/server/index.js';
import { startPusherCloudStandIn, type PusherCloudStandIn } from '../support/pusherCloudStandIn.js';

const app = { appId: '1234', key: 'cloud-key', secret: 'cloud-secret' };

describe('pusher provider against a stand-in that checks signatures as Pusher cloud does', () => {
  let cloud: PusherCloudStandIn;
  let realtime: Realtime;
  const connect = (overrides: Record<string, unknown> = {}) =>
    createRealtime({ provider: 'pusher', ...app, cluster: 'eu', host: '127.0.0.1', port: cloud.port, useTLS: false, ...overrides } as never);

  beforeAll(async () => {
    cloud = await startPusherCloudStandIn(app);
  });
  beforeEach(() => {
    cloud.received.length = 0;
    cloud.failWith = undefined;
  });
  afterAll(async () => {
    await realtime?.close();
    await cloud?.close();
  });

  it('sends a correctly signed event with JSON data, every channel and the excluded socket', async () => {
    realtime = connect();
    await realtime.publish(['orders.1', 'private-orders.1'], 'order.updated', { status: 'shipped', note: '123' }, { socketId: '12.34' });
    expect(cloud.received).toEqual([
      { name: 'order.updated', channels: ['orders.1', 'private-orders.1'], data: '{"status":"shipped","note":"123"}', socket_id: '12.34' },
    ]);
  });

  it('sends a batch as one signed request', async () => {
    await realtime.publishBatch([
      { channel: 'a', event: 'x', data: 1 },
      { channel: 'b', event: 'y', data: 'two', socketId: '1.2' },
    ]);
    expect(cloud.received).toEqual([
      { name: 'x', channels: ['a'], data: '1' },
      { name: 'y', channels: ['b'], data: '"two"', socket_id: '1.2' },
    ]);
  });

  it('reuses one keep-alive connection for many publishes', async () => {
    const fresh = connect();
    const before = cloud.connections;
    for (let i = 0; i < 25; i++) await fresh.publish('orders', 'tick', i);
    expect(cloud.connections - before).toBe(1);
    await fresh.close();
  });

  it('a wrong secret is refused by the cloud and reported as provider_rejected (not retryable)', async () => {
    const wrong = connect({ secret: 'not-the-secret' });
    const error = await wrong.publish('orders', 'e', 1).catch((failure: unknown) => failure);
    expect(isRealtimeError(error, 'provider_rejected')).toBe(true);
    expect((error as Error).message).toMatch(/401.*Invalid signature/);
    expect((error as Error).message).not.toContain('not-the-secret');
    expect((error as { retryable: boolean }).retryable).toBe(false);
    expect(cloud.received).toEqual([]);
    await wrong.close();
  });

  it("the cloud's own 413 maps to payload_too_large when the local limit was raised", async () => {
    const lax = connect({ maxPayloadBytes: 64 * 1024 });
    const error = await lax.publish('orders', 'e', 'x'.repeat(11 * 1024)).catch((failure: unknown) => failure);
    expect(isRealtimeError(error, 'payload_too_large')).toBe(true);
    expect((error as { status: number }).status).toBe(413);
    await lax.close();
  });

  it('an 11 KB event never reaches the cloud with the default limit', async () => {
    const error = await realtime.publish('orders', 'e', 'x'.repeat(11 * 1024)).catch((failure: unknown) => failure);
    expect(isRealtimeError(error, 'payload_too_large')).toBe(true);
    expect(error).not.toHaveProperty('status', 413);
    expect(cloud.received).toEqual([]);
  });

  it('5xx is provider_unavailable and retryable; 429 is rate_limited', async () => {
    cloud.failWith = 503;
    const unavailable = await realtime.publish('orders', 'e', 1).catch((failure: unknown) => failure);
    expect(isRealtimeError(unavailable, 'provider_unavailable')).toBe(true);
    expect((unavailable as { retryable: boolean }).retryable).toBe(true);
    cloud.failWith = 429;
    const limited = await realtime.publish('orders', 'e', 1).catch((failure: unknown) => failure);
    expect(isRealtimeError(limited, 'rate_limited')).toBe(true);
  });

  it('terminateUser calls terminate_connections for that user', async () => {
    await realtime.terminateUser('user 7/ä');
    expect(cloud.terminated).toContain('user 7/ä');
  });
});
