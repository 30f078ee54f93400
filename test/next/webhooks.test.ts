import { createHmac } from 'node:crypto';
import Pusher from 'pusher';
import { afterEach, describe, expect, it } from 'vitest';
import type { RealtimeWebhookEvent, WebhookContext } from '../../src/next/index.js';
import { call, createApp, CREDENTIALS } from './appFixture.js';

// Signatures are computed with node:crypto here, independently of the Web Crypto code under test.
const pusherSignature = (body: string, secret: string) => createHmac('sha256', secret).update(body).digest('hex');
const ablySignature = (body: string, secret: string) => createHmac('sha256', secret).update(body).digest('base64');

const pusherBody = JSON.stringify({
  time_ms: 1_700_000_000_000,
  events: [
    { name: 'channel_occupied', channel: 'private-orders.42' },
    { name: 'member_added', channel: 'presence-room.1', user_id: 'u1' },
    { name: 'member_removed', channel: 'presence-room.1', user_id: 'u2' },
    { name: 'client_event', channel: 'presence-room.1', event: 'client-typing', data: '{"on":true}', socket_id: '1.2', user_id: 'u1' },
    { name: 'subscription_count', channel: 'x', subscription_count: 3 },
    { name: 'channel_vacated', channel: 'private-orders.42' },
  ],
});

const apps: Array<ReturnType<typeof createApp>> = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.realtime.close();
});

function webhookApp(secrets?: string) {
  const received: Array<{ events: RealtimeWebhookEvent[]; context: Omit<WebhookContext, 'request'> }> = [];
  const app = createApp({
    webhook: {
      ...(secrets ? { secrets } : {}),
      onEvents(events, { request: _request, ...context }) {
        if (events.some((event) => event.type === 'client_event' && event.event === 'client-crash')) throw new Error('handler bug');
        received.push({ events, context });
      },
    },
  });
  apps.push(app);
  return { app, received };
}

describe('POST /webhook (Pusher / Soketi)', () => {
  it('verifies X-Pusher-Signature and hands the app normalised events', async () => {
    const { app, received } = webhookApp();
    const result = await call(app, 'webhook', {
      headers: { 'content-type': 'application/json', 'x-pusher-key': CREDENTIALS.key, 'x-pusher-signature': pusherSignature(pusherBody, CREDENTIALS.secret) },
      body: pusherBody,
    });
    expect(result.status).toBe(200);
    expect(result.json).toEqual({ received: 5 });
    const time = 1_700_000_000_000;
    expect(received).toEqual([
      {
        context: { provider: 'soketi', key: 'app-key' },
        events: [
          { type: 'channel_occupied', channel: 'private-orders.42', time },
          { type: 'member_added', channel: 'presence-room.1', userId: 'u1', time },
          { type: 'member_removed', channel: 'presence-room.1', userId: 'u2', time },
          { type: 'client_event', channel: 'presence-room.1', event: 'client-typing', data: { on: true }, socketId: '1.2', userId: 'u1', time },
          { type: 'channel_vacated', channel: 'private-orders.42', time },
        ],
      },
    ]);
  });

  it('agrees with the official SDK webhook check', async () => {
    const { app } = webhookApp();
    const signature = pusherSignature(pusherBody, CREDENTIALS.secret);
    const sdk = new Pusher({ ...CREDENTIALS, cluster: 'mt1' }).webhook({
      headers: { 'content-type': 'application/json', 'x-pusher-key': CREDENTIALS.key, 'x-pusher-signature': signature },
      rawBody: pusherBody,
    });
    expect(sdk.isValid()).toBe(true);
    const ours = await call(app, 'webhook', {
      headers: { 'content-type': 'application/json', 'x-pusher-key': CREDENTIALS.key, 'x-pusher-signature': signature },
      body: pusherBody,
    });
    expect(ours.status).toBe(200);
  });

  it('accepts the old and the new secret of one key during a migration, and nothing else', async () => {
    const { app } = webhookApp(`${CREDENTIALS.key}:old-secret`);
    const send = (signature: string, key = CREDENTIALS.key) =>
      call(app, 'webhook', { headers: { 'content-type': 'application/json', 'x-pusher-key': key, 'x-pusher-signature': signature }, body: pusherBody });
    expect((await send(pusherSignature(pusherBody, 'old-secret'))).status).toBe(200);
    expect((await send(pusherSignature(pusherBody, CREDENTIALS.secret))).status).toBe(200);
    expect((await send(pusherSignature(pusherBody, CREDENTIALS.secret).toUpperCase())).status).toBe(200);
    for (const [signature, key] of [
      [pusherSignature(pusherBody, 'guess'), CREDENTIALS.key],
      [pusherSignature(pusherBody, CREDENTIALS.secret), 'other-key'],
      [pusherSignature(`${pusherBody} `, CREDENTIALS.secret), CREDENTIALS.key],
      [pusherSignature(pusherBody, CREDENTIALS.secret).slice(0, 63), CREDENTIALS.key],
      ['', CREDENTIALS.key],
    ] as const) {
      const result = await send(signature, key);
      expect(result.status).toBe(401);
      expect(result.json.error.code).toBe('unauthorized');
    }
  });

  it('refuses unsigned, Ably-signed, wrong-type and malformed requests; a failing handler is a 500 so the provider retries', async () => {
    const { app, received } = webhookApp();
    const unsigned = await call(app, 'webhook', { headers: { 'content-type': 'application/json' }, body: pusherBody });
    expect(unsigned.status).toBe(401);
    const ably = await call(app, 'webhook', {
      headers: { 'content-type': 'application/json', 'x-ably-key': 'a.b', 'x-ably-signature': ablySignature(pusherBody, CREDENTIALS.secret) },
      body: pusherBody,
    });
    expect(ably.status).toBe(401);
    const text = await call(app, 'webhook', {
      headers: { 'content-type': 'text/plain', 'x-pusher-key': CREDENTIALS.key, 'x-pusher-signature': pusherSignature(pusherBody, CREDENTIALS.secret) },
      body: pusherBody,
    });
    expect(text.status).toBe(415);
    const notJson = 'not json';
    const badBody = await call(app, 'webhook', {
      headers: { 'content-type': 'application/json', 'x-pusher-key': CREDENTIALS.key, 'x-pusher-signature': pusherSignature(notJson, CREDENTIALS.secret) },
      body: notJson,
    });
    expect(badBody.status).toBe(400);
    const wrongShape = '{"events":[{"name":"member_added","channel":"presence-x"}]}';
    const shape = await call(app, 'webhook', {
      headers: { 'content-type': 'application/json', 'x-pusher-key': CREDENTIALS.key, 'x-pusher-signature': pusherSignature(wrongShape, CREDENTIALS.secret) },
      body: wrongShape,
    });
    expect(shape.status).toBe(400);
    const crash = JSON.stringify({ time_ms: 1, events: [{ name: 'client_event', channel: 'private-x', event: 'client-crash', data: '{}' }] });
    const failing = await call(app, 'webhook', {
      headers: { 'content-type': 'application/json', 'x-pusher-key': CREDENTIALS.key, 'x-pusher-signature': pusherSignature(crash, CREDENTIALS.secret) },
      body: crash,
    });
    expect(failing.status).toBe(500);
    expect(failing.json.error.code).toBe('internal_error');
    expect(received).toEqual([]);
    expect(app.logged.join()).toContain('webhook.onEvents threw Error: handler bug');
  });
});

describe('POST /webhook (Ably)', () => {
  it('verifies X-Ably-Signature (base64) with the key named by X-Ably-Key, any key of the ring', async () => {
    const received: RealtimeWebhookEvent[][] = [];
    const app = createApp({
      realtime: {
        provider: 'ably',
        config: { provider: 'ably', apiKeys: ['app.new:new-secret', 'app.old:old-secret'], tls: true },
        getProvider: () => Promise.reject(new Error('not needed')),
      },
      webhook: { onEvents: (events) => void received.push(events) },
    });
    apps.push(app);
    const body = JSON.stringify({
      items: [
        { webhookId: 'w', source: 'channel.lifecycle', name: 'channel.opened', timestamp: 10, data: { channelId: 'private-orders.42' } },
        {
          source: 'channel.presence',
          name: 'presence.message',
          timestamp: 11,
          data: { channelId: 'presence-room.1', presence: [{ clientId: 'u1', action: 2, timestamp: 12 }, { clientId: 'u2', action: 3 }, { clientId: 'u3', action: 4 }] },
        },
        { source: 'channel.message', name: 'channel.message', timestamp: 13, data: { channelId: 'presence-room.1', messages: [{ name: 'typing', data: '{"on":true}', clientId: 'u1', timestamp: 14 }] } },
        { source: 'channel.lifecycle', name: 'channel.closed', timestamp: 15, data: { channelId: 'private-orders.42' } },
      ],
    });
    for (const [key, secret] of [['app.new', 'new-secret'], ['app.old', 'old-secret']]) {
      const result = await call(app, 'webhook', {
        headers: { 'content-type': 'application/json', 'x-ably-key': key!, 'x-ably-signature': ablySignature(body, secret!) },
        body,
      });
      expect(result.status).toBe(200);
    }
    expect(received[0]).toEqual([
      { type: 'channel_occupied', channel: 'private-orders.42', time: 10 },
      { type: 'member_added', channel: 'presence-room.1', userId: 'u1', time: 12 },
      { type: 'member_removed', channel: 'presence-room.1', userId: 'u2', time: 11 },
      { type: 'client_event', channel: 'presence-room.1', event: 'typing', data: { on: true }, userId: 'u1', time: 14 },
      { type: 'channel_vacated', channel: 'private-orders.42', time: 15 },
    ]);
    for (const headers of [
      { 'x-ably-key': 'app.new', 'x-ably-signature': ablySignature(body, 'old-secret') },
      { 'x-ably-key': 'app.gone', 'x-ably-signature': ablySignature(body, 'new-secret') },
      { 'x-pusher-key': 'app.new', 'x-pusher-signature': pusherSignature(body, 'new-secret') },
    ] as Array<Record<string, string>>) {
      const refused = await call(app, 'webhook', { headers: { 'content-type': 'application/json', ...headers }, body });
      expect(refused.status).toBe(401);
    }
    expect(received).toHaveLength(2);
  });

  it('REALTIME_WEBHOOK_SECRETS adds keys (a migration) and the body cap answers 413 before verifying', async () => {
    process.env.REALTIME_WEBHOOK_SECRETS = 'migrated-key:migrated-secret';
    let app: ReturnType<typeof createApp>;
    try {
      app = createApp({ webhook: { onEvents() {}, maxBodyBytes: 2048 } });
    } finally {
      delete process.env.REALTIME_WEBHOOK_SECRETS;
    }
    apps.push(app);
    const signed = (body: string, key: string, secret: string) =>
      call(app, 'webhook', { headers: { 'content-type': 'application/json', 'x-pusher-key': key, 'x-pusher-signature': pusherSignature(body, secret) }, body });
    expect((await signed(pusherBody, 'migrated-key', 'migrated-secret')).status).toBe(200);
    expect((await signed(pusherBody, CREDENTIALS.key, CREDENTIALS.secret)).status).toBe(200);
    const big = JSON.stringify({ time_ms: 1, events: [], pad: 'x'.repeat(4096) });
    const tooBig = await signed(big, CREDENTIALS.key, CREDENTIALS.secret);
    expect(tooBig.status).toBe(413);
    expect(tooBig.json.error.code).toBe('payload_too_large');
  });

  it('without the webhook option the endpoint does not exist', async () => {
    const app = createApp();
    apps.push(app);
    const result = await call(app, 'webhook', { headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(result.status).toBe(404);
  });
});
