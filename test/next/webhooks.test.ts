import { createHash, createHmac } from 'node:crypto';
import Pusher from 'pusher';
import { afterEach, describe, expect, it } from 'vitest';
import type { RealtimeWebhookEvent, WebhookContext } from '../../src/next/index.js';
import { call, createApp, CREDENTIALS } from './appFixture.js';

// Signatures are computed with node:crypto here, independently of the Web Crypto code under test.
const pusherSignature = (body: string, secret: string) => createHmac('sha256', secret).update(body).digest('hex');
const ablySignature = (body: string, secret: string) => createHmac('sha256', secret).update(body).digest('base64');

// Webhooks older than webhook.maxAgeSeconds (default 10 minutes) are refused: bodies are fresh.
const NOW = Date.now();
const pusherBody = JSON.stringify({
  time_ms: NOW,
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
    const time = NOW;
    expect(received).toEqual([
      {
        context: { provider: 'soketi', key: 'app-key', deliveryId: createHash('sha256').update(pusherBody).digest('hex') },
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
    const wrongShape = `{"time_ms":${Date.now()},"events":[{"name":"member_added","channel":"presence-x"}]}`;
    const shape = await call(app, 'webhook', {
      headers: { 'content-type': 'application/json', 'x-pusher-key': CREDENTIALS.key, 'x-pusher-signature': pusherSignature(wrongShape, CREDENTIALS.secret) },
      body: wrongShape,
    });
    expect(shape.status).toBe(400);
    const crash = JSON.stringify({ time_ms: Date.now(), events: [{ name: 'client_event', channel: 'private-x', event: 'client-crash', data: '{}' }] });
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

describe('POST /webhook: replays, stale deliveries and unsigned bodies', () => {
  const signedHeaders = (body: string) => ({
    'content-type': 'application/json',
    'x-pusher-key': CREDENTIALS.key,
    'x-pusher-signature': pusherSignature(body, CREDENTIALS.secret),
  });
  const occupied = (time: unknown) => JSON.stringify({ time_ms: time, events: [{ name: 'channel_occupied', channel: 'private-orders.42' }] });

  it('checks the signature headers before reading a byte of the body', async () => {
    const { app, received } = webhookApp();
    for (const headers of [
      { 'content-type': 'application/json' },
      { 'content-type': 'application/json', 'x-pusher-key': CREDENTIALS.key },
      { 'content-type': 'application/json', 'x-pusher-key': 'unknown-key', 'x-pusher-signature': 'a'.repeat(64) },
      { 'content-type': 'application/json', 'x-pusher-key': CREDENTIALS.key, 'x-pusher-signature': 'not-a-signature' },
    ] as Array<Record<string, string>>) {
      let pulls = 0;
      // highWaterMark 0: the stream is only pulled when someone reads the body.
      const body = new ReadableStream<Uint8Array>(
        { pull: (controller) => { pulls++; controller.enqueue(new Uint8Array(64 * 1024)); } },
        { highWaterMark: 0 },
      );
      const result = await call(app, 'webhook', { headers, body });
      expect(result.status, JSON.stringify(headers)).toBe(401);
      expect(result.json.error.code).toBe('unauthorized');
      expect(pulls, JSON.stringify(headers)).toBe(0);
    }
    expect(received).toEqual([]);
  });

  it('refuses a timestamp outside webhook.maxAgeSeconds (default 10 minutes) either way, and one without a timestamp', async () => {
    const { app, received } = webhookApp();
    const now = Date.now();
    for (const time of [Date.UTC(2001, 0, 1), now - 601_000, now + 601_000, undefined, 'yesterday']) {
      const body = occupied(time);
      const result = await call(app, 'webhook', { headers: signedHeaders(body), body });
      expect(result.status, String(time)).toBe(401);
      expect(result.json.error.code).toBe('unauthorized');
    }
    expect(received).toEqual([]);
    // A provider retry 5 minutes after the event (Pusher's retry window) is still accepted.
    for (const time of [now, now - 300_000, now + 30_000]) {
      const body = occupied(time);
      expect((await call(app, 'webhook', { headers: signedHeaders(body), body })).status, String(time)).toBe(200);
    }
    expect(received).toHaveLength(3);
  });

  it('maxAgeSeconds is configurable, false turns the check off, and nonsense is a configuration error', async () => {
    const strict = createApp({ webhook: { onEvents() {}, maxAgeSeconds: 5 } });
    const off = createApp({ webhook: { onEvents() {}, maxAgeSeconds: false } });
    apps.push(strict, off);
    const minuteOld = occupied(Date.now() - 60_000);
    expect((await call(strict, 'webhook', { headers: signedHeaders(minuteOld), body: minuteOld })).status).toBe(401);
    const ancient = occupied(Date.UTC(2001, 0, 1));
    expect((await call(off, 'webhook', { headers: signedHeaders(ancient), body: ancient })).status).toBe(200);
    for (const maxAgeSeconds of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, '600' as unknown as number]) {
      expect(() => createApp({ webhook: { onEvents() {}, maxAgeSeconds } }), String(maxAgeSeconds)).toThrow(/maxAgeSeconds/);
    }
  });

  it('deduplicate drops a replayed delivery (200, onEvents not called) and releases the id when onEvents fails', async () => {
    const claimed = new Set<string>();
    const handled: string[] = [];
    let failNext = true;
    const app = createApp({
      webhook: {
        onEvents(_events, { deliveryId }) {
          if (failNext) {
            failNext = false;
            throw new Error('database busy');
          }
          handled.push(deliveryId);
        },
        deduplicate: {
          claim: (id) => (claimed.has(id) ? false : (claimed.add(id), true)),
          release: (id) => void claimed.delete(id),
        },
      },
    });
    apps.push(app);
    const body = occupied(Date.now());
    const send = () => call(app, 'webhook', { headers: signedHeaders(body), body });
    expect((await send()).status).toBe(500); // onEvents failed: the provider retries
    const retried = await send();
    expect(retried.status).toBe(200);
    expect(retried.json).toEqual({ received: 1 });
    for (let replay = 0; replay < 3; replay++) {
      const again = await send();
      expect(again.status).toBe(200);
      expect(again.json).toEqual({ received: 0, duplicate: true });
    }
    expect(handled).toEqual([createHash('sha256').update(body).digest('hex')]);
    // Another delivery has another id.
    const other = occupied(Date.now() + 1);
    expect((await call(app, 'webhook', { headers: signedHeaders(other), body: other })).json).toEqual({ received: 1 });
    expect(handled).toHaveLength(2);
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
        { webhookId: 'w', source: 'channel.lifecycle', name: 'channel.opened', timestamp: NOW + 10, data: { channelId: 'private-orders.42' } },
        {
          source: 'channel.presence',
          name: 'presence.message',
          timestamp: NOW + 11,
          data: { channelId: 'presence-room.1', presence: [{ clientId: 'u1', action: 2, timestamp: NOW + 12 }, { clientId: 'u2', action: 3 }, { clientId: 'u3', action: 4 }] },
        },
        { source: 'channel.message', name: 'channel.message', timestamp: NOW + 13, data: { channelId: 'presence-room.1', messages: [{ name: 'typing', data: '{"on":true}', clientId: 'u1', timestamp: NOW + 14 }] } },
        { source: 'channel.lifecycle', name: 'channel.closed', timestamp: NOW + 15, data: { channelId: 'private-orders.42' } },
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
      { type: 'channel_occupied', channel: 'private-orders.42', time: NOW + 10 },
      { type: 'member_added', channel: 'presence-room.1', userId: 'u1', time: NOW + 12 },
      { type: 'member_removed', channel: 'presence-room.1', userId: 'u2', time: NOW + 11 },
      { type: 'client_event', channel: 'presence-room.1', event: 'typing', data: { on: true }, userId: 'u1', time: NOW + 14 },
      { type: 'channel_vacated', channel: 'private-orders.42', time: NOW + 15 },
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
