import { SYSTEM_CHANNEL } from '../../src/core/systemEvents.js';
import { Realtime, type ErrorInfo } from 'ably';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRealtimeClient, type RealtimeClient } from '../../src/client/index.js';
import { isRealtimeError, RealtimeError } from '../../src/core/errors.js';
import type { ChannelGrant, PresenceMember, TokenFetcher } from '../../src/core/provider.js';
import { createAblyTransport } from '../../src/providers/ably/client.js';
import { createAblyServer } from '../../src/providers/ably/server.js';
import { createAblyAuth, type AblyAuth } from '../../src/providers/ably/auth.js';
import { createAblyJwt } from '../../src/providers/ably/tokens.js';
import { DEFAULT_LIMITS } from '../../src/registry/limits.js';
import { parseConfig } from '../../src/server/config.js';
import type { AblyConfig } from '../../src/providers/ably/config.js';
import { createRealtime, type Realtime as Server } from '../../src/server/index.js';
import { collect, eventually, waitForState } from '../support/events.js';
import { startAblyStandIn, type AblyStandIn } from '../support/ably/standIn.js';
import { routeFetch, sessionHeaders, sessionUser, type RouteRequest } from '../support/routeFetch.js';
import { defineChannels } from '../../src/index.js';
import { createRealtimeHandlers } from '../../src/next/index.js';

/**
 * What the Ably provider does beyond the shared contract, against the local Ably stand-in with the
 * real ably-js clients: credentials checked like Ably checks them, errors that never hang,
 * idempotent retries, token renewal and in-place re-authentication, revocation, presence.
 */
const KEY = 'standin.current:the-current-secret';
const OLD_KEY = 'standin.previous:the-previous-secret';
const keyName = (key: string) => key.slice(0, key.indexOf(':'));
const secret = (key: string) => key.slice(key.indexOf(':') + 1);

let standIn: AblyStandIn;
let realtime: Server;
let provider: AblyAuth;
const clients: RealtimeClient[] = [];
const rawClients: Realtime[] = [];
let counter = 0;
const unique = (prefix = '') => `${prefix}ably-it.${++counter}`;

beforeAll(async () => {
  standIn = await startAblyStandIn({ keys: [KEY, OLD_KEY] });
  realtime = createRealtime({ provider: 'ably', apiKeys: [KEY, OLD_KEY], endpoint: 'localhost', port: standIn.port, tls: false });
  provider = realtime.auth as AblyAuth;
});

afterAll(async () => {
  for (const client of clients) client.disconnect();
  for (const raw of rawClients) raw.close();
  await realtime?.close();
  await standIn?.close();
});

/** A token source that logs what it was asked for; the app's policy is `allow`. */
function tokenSource(user: PresenceMember, allow: (channel: string) => boolean = () => true, sign: AblyAuth = provider) {
  const calls: Array<readonly string[]> = [];
  const fetchToken: TokenFetcher = async ({ channels }) => {
    calls.push([...channels]);
    const grants: ChannelGrant[] = channels.filter(allow).map((channel) => ({ channel, member: channel.startsWith('presence-') ? user : undefined }));
    return sign.issueClientToken({ userId: user.id, grants, ttlSeconds: 600 });
  };
  return { calls, fetchToken };
}

function client(user: PresenceMember, options: { allow?: (channel: string) => boolean; useBinaryProtocol?: boolean; sign?: AblyAuth } = {}) {
  const source = tokenSource(user, options.allow, options.sign);
  const created = createRealtimeClient({
    provider: 'ably',
    ...standIn.clientOptions,
    ...(options.useBinaryProtocol === undefined ? {} : { useBinaryProtocol: options.useBinaryProtocol }),
    getCredentials: source.fetchToken,
  });
  clients.push(created);
  return { client: created, calls: source.calls };
}

const connectionOf = (socketId: string | undefined) => [...standIn.connections.values()].find((connection) => connection.key === socketId);

async function failure(promise: Promise<unknown>): Promise<RealtimeError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(isRealtimeError(error), `expected a RealtimeError, got ${String(error)}`).toBe(true);
  return error as RealtimeError;
}

describe('server: errors are RealtimeErrors, never a hang', () => {
  it('a key with the wrong secret is refused by the stand-in and reported as provider_rejected', async () => {
    const wrong = createRealtime({ provider: 'ably', apiKeys: [`${keyName(KEY)}:not-the-secret`], endpoint: 'localhost', port: standIn.port, tls: false });
    const started = Date.now();
    const error = await failure(wrong.publish(unique(), 'e', 1));
    expect(error.code).toBe('provider_rejected');
    expect(error.status).toBe(401);
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/ABLY_API_KEY/);
    expect(error.message).not.toContain('not-the-secret');
    expect(Date.now() - started).toBeLessThan(2000);
    expect(standIn.requests.at(-1)).toMatchObject({ status: 401 });
    await wrong.close();
  });

  it('5xx is provider_unavailable and retryable; 429 is rate_limited', async () => {
    const noRetries = createAblyServer(
      parseConfig({ provider: 'ably', apiKeys: [KEY], endpoint: 'localhost', port: standIn.port, tls: false }) as AblyConfig,
      DEFAULT_LIMITS.ably,
      { retries: 0 },
    );
    const event = (channel: string) => ({ channels: [channel], event: 'e', data: 1, json: '1' });
    standIn.failNextPublish({ status: 503 });
    const unavailable = await failure(noRetries.publish(event(unique())));
    expect(unavailable).toMatchObject({ code: 'provider_unavailable', retryable: true, status: 503 });
    standIn.failNextPublish({ status: 429 });
    const limited = await failure(noRetries.publish(event(unique())));
    expect(limited).toMatchObject({ code: 'rate_limited', retryable: true, status: 429 });
    await noRetries.close();
  });

  it('a provider that does not answer fails within the configured timeout', async () => {
    const impatient = createAblyServer(
      parseConfig({ provider: 'ably', apiKeys: [KEY], endpoint: 'localhost', port: standIn.port, tls: false }) as AblyConfig,
      DEFAULT_LIMITS.ably,
      { timeoutMs: 300, retries: 1 },
    );
    standIn.failNextPublish({ status: 201, afterAccept: true, delayMs: 5000 });
    standIn.failNextPublish({ status: 201, afterAccept: true, delayMs: 5000 });
    const started = Date.now();
    const error = await failure(impatient.publish({ channels: [unique()], event: 'e', data: 1, json: '1' }));
    expect(error).toMatchObject({ code: 'provider_unavailable', retryable: true });
    // Two attempts of 300 ms and one short pause, not 2 x 5 s.
    expect(Date.now() - started).toBeLessThan(2500);
    await impatient.close();
  });

  it('a retry after a lost response delivers the message once (idempotent ids)', async () => {
    const { client: subscriber } = client({ id: 'idem' });
    const channel = unique();
    const inbox = collect(subscriber, channel, 'once');
    await subscriber.whenSubscribed(channel);
    // The stand-in accepts and delivers, then answers 503: the response was "lost".
    standIn.failNextPublish({ status: 503, afterAccept: true });
    await realtime.publish(channel, 'once', { n: 1 });
    await realtime.publish(channel, 'once', { n: 2 });
    expect(await inbox.waitFor(2)).toEqual([{ n: 1 }, { n: 2 }]);
    const posts = standIn.requests.filter((request) => request.path === `/channels/${channel}/messages`);
    expect(posts.map((request) => request.status)).toEqual([503, 201, 201]);
    expect(standIn.published.filter((entry) => entry.channel === channel)).toHaveLength(2);
  });

  it('a retried multi-channel publish and a retried batch also deliver once per channel', async () => {
    const { client: subscriber } = client({ id: 'idem-multi' });
    const [a, b] = [unique(), unique()];
    const inboxA = collect(subscriber, a, 'm');
    const inboxB = collect(subscriber, b, 'm');
    await Promise.all([subscriber.whenSubscribed(a), subscriber.whenSubscribed(b)]);
    standIn.failNextPublish({ status: 500, afterAccept: true });
    await realtime.publish([a, b], 'm', 'fan-out');
    standIn.failNextPublish({ status: 502, afterAccept: true });
    await realtime.publishBatch([
      { channel: a, event: 'm', data: 'batch-a' },
      { channel: b, event: 'm', data: 'batch-b' },
    ]);
    await realtime.publish(a, 'm', 'marker');
    expect(await inboxA.waitFor(3)).toEqual(['fan-out', 'batch-a', 'marker']);
    expect(await inboxB.waitFor(2)).toEqual(['fan-out', 'batch-b']);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(inboxB.received).toHaveLength(2);
    // Both went to Ably twice: the first answer of each was "lost".
    expect(standIn.requests.filter((request) => request.path === '/messages').map((request) => request.status).slice(-4)).toEqual([500, 201, 502, 201]);
  });

  it('a provider that cannot be reached is provider_unavailable and retryable', async () => {
    const { freePort } = await import('../../scripts/soketiProcess.mjs');
    const nowhere = createAblyServer(
      parseConfig({ provider: 'ably', apiKeys: [KEY], endpoint: 'localhost', port: await freePort(), tls: false }) as AblyConfig,
      DEFAULT_LIMITS.ably,
      { retries: 0 },
    );
    const error = await failure(nowhere.publish({ channels: ['a'], event: 'e', data: 1, json: '1' }));
    expect(error).toMatchObject({ code: 'provider_unavailable', retryable: true });
    await nowhere.close();
  });

  it('checks the configured payload limit before sending anything', async () => {
    const small = createRealtime({ provider: 'ably', apiKeys: [KEY], endpoint: 'localhost', port: standIn.port, tls: false, maxPayloadBytes: 1024 });
    const before = standIn.requests.length;
    const error = await failure(small.publish(unique(), 'e', 'x'.repeat(2000)));
    expect(error.code).toBe('payload_too_large');
    expect(standIn.requests.length).toBe(before);
    await small.close();
  });

  it('a socket id Ably does not know is rejected, on one channel and on several', async () => {
    const single = await failure(realtime.publish(unique(), 'e', 1, { socketId: 'nobody!xyz-1' }));
    expect(single).toMatchObject({ code: 'provider_rejected', status: 400 });
    const multi = await failure(realtime.publish([unique(), unique()], 'e', 1, { socketId: 'nobody!xyz-1' }));
    expect(multi).toMatchObject({ code: 'provider_rejected' });
    expect(multi.message).toMatch(/connectionKey/);
  });

  it("a message Ably finds too large (limit configured above the account's) is payload_too_large", async () => {
    const generous = createRealtime({ provider: 'ably', apiKeys: [KEY], endpoint: 'localhost', port: standIn.port, tls: false, maxPayloadBytes: 200 * 1024 });
    const error = await failure(generous.publish(unique(), 'e', 'x'.repeat(100 * 1024)));
    expect(error).toMatchObject({ code: 'payload_too_large', status: 400 });
    expect(standIn.requests.at(-1)).toMatchObject({ status: 400 });
    await generous.close();
  });

  it('publishing to an encrypted channel is not_supported on Ably', async () => {
    expect((await failure(realtime.publish('private-encrypted-inbox.1', 'e', 1))).code).toBe('not_supported');
  });
});

describe('stand-in checks what Ably checks', () => {
  it('refuses a JWT signed with the wrong secret, and the client reports invalid_token', async () => {
    const forged = createRealtimeClient({
      provider: 'ably',
      ...standIn.clientOptions,
      getCredentials: () => createAblyJwt({ kid: keyName(KEY), secret: 'wrong-secret' }, { clientId: 'mallory', capability: { 'orders.1': ['subscribe'] }, ttlSeconds: 60 }),
    });
    clients.push(forged);
    const errors: Error[] = [];
    forged.onStateChange((_state, error) => error && errors.push(error));
    forged.subscribe('orders.1', 'e', () => {});
    const refused = await failure(forged.whenSubscribed('orders.1'));
    expect(refused.code).toBe('invalid_token');
    expect(errors.some((error) => isRealtimeError(error, 'invalid_token'))).toBe(true);
    expect([...standIn.connections.values()].some((connection) => connection.identity.clientId === 'mallory')).toBe(false);
    forged.disconnect();
  });

  it('refuses a channel the policy did not grant (capability), keeping the connection', async () => {
    const { client: limited } = client({ id: 'limited' }, { allow: (channel) => !channel.startsWith('private-') });
    const open = unique();
    const closed = unique('private-');
    limited.subscribe(open, 'e', () => {});
    await limited.whenSubscribed(open);
    limited.subscribe(closed, 'e', () => {});
    const error = await failure(limited.whenSubscribed(closed));
    expect(error.code).toBe('forbidden');
    expect(limited.state).toBe('connected');
  });

  it('accepts a TokenRequest only with the right mac', async () => {
    const good = await provider.createTokenRequest({ userId: 'tr-user', grants: [{ channel: 'orders.tr' }], ttlSeconds: 60 });
    const raw = new Realtime({ ...standIn.clientOptions, authCallback: (_params, callback) => callback(null, good), logLevel: 0 });
    rawClients.push(raw);
    await raw.connection.whenState('connected');
    expect(raw.auth.clientId).toBe('tr-user');
    await raw.channels.get('orders.tr').attach();
    await expect(raw.channels.get('orders.other').attach()).rejects.toMatchObject({ code: 40160 });

    const forged = { ...(await provider.createTokenRequest({ userId: 'tr-user', grants: [{ channel: 'orders.tr' }], ttlSeconds: 60 })), capability: '{"*":["*"]}' };
    const refused = new Realtime({ ...standIn.clientOptions, authCallback: (_params, callback) => callback(null, forged), logLevel: 0 });
    rawClients.push(refused);
    const reason = await new Promise<ErrorInfo | undefined>((resolve) => refused.connection.once('disconnected', (change) => resolve(change.reason)));
    expect(reason?.statusCode).toBe(401);
    refused.close();
  });

  it('drops a server-looking event published by a browser; delivers its client- events with its user id', async () => {
    const channel = unique('private-');
    const { client: listener } = client({ id: 'listener' });
    const forgedInbox = collect(listener, channel, 'order-shipped');
    const whisperInbox = collect(listener, channel, 'client-typing');
    await listener.whenSubscribed(channel);
    const { token } = await provider.issueClientToken({ userId: 'sneaky', grants: [{ channel }], ttlSeconds: 60 });
    const raw = new Realtime({ ...standIn.clientOptions, authCallback: (_params, callback) => callback(null, token), logLevel: 0 });
    rawClients.push(raw);
    await raw.channels.get(channel).publish('order-shipped', { forged: true });
    await raw.channels.get(channel).publish('client-typing', JSON.stringify({ typing: true }));
    // The client- event is seen with its sender; the forged server event never is.
    expect(await whisperInbox.waitFor(1)).toHaveLength(1);
    const received: Array<{ userId?: string }> = [];
    listener.subscribe(channel, 'client-typing', (_data, meta) => received.push(meta));
    await raw.channels.get(channel).publish({ name: 'client-typing', data: '{"typing":false}', encoding: 'json' });
    await eventually(() => expect(received).toEqual([expect.objectContaining({ userId: 'sneaky' })]));
    expect(forgedInbox.received).toEqual([]);
    // And a browser cannot publish as someone else.
    await expect(raw.channels.get(channel).publish({ name: 'client-x', data: 'x', clientId: 'listener' })).rejects.toMatchObject({ code: 40012 });
  });

  it('checks capabilities per operation: no publish on a public channel, no presence on a private one', async () => {
    const publicChannel = unique();
    const privateChannel = unique('private-');
    const { token } = await provider.issueClientToken({ userId: 'ops', grants: [{ channel: publicChannel }, { channel: privateChannel }], ttlSeconds: 60 });
    const raw = new Realtime({ ...standIn.clientOptions, authCallback: (_params, callback) => callback(null, token), logLevel: 0 });
    rawClients.push(raw);
    await raw.channels.get(publicChannel).attach();
    await expect(raw.channels.get(publicChannel).publish('client-x', 'x')).rejects.toMatchObject({ code: 40160 });
    await raw.channels.get(privateChannel).attach();
    await raw.channels.get(privateChannel).publish('client-x', 'allowed');
    await expect(raw.channels.get(privateChannel).presence.enter({})).rejects.toMatchObject({ code: 40160 });
    // And the transport refuses a whisper its token does not allow before sending anything.
    const { client: reader } = client({ id: 'reader' }, { allow: () => true });
    reader.subscribe(publicChannel, 'e', () => {});
    await reader.whenSubscribed(publicChannel);
    expect(() => reader.whisper(publicChannel, 'typing', {})).toThrow(/private and presence/);
  });

  it('refuses an expired JWT with 40142', async () => {
    const expired = await createAblyJwt({ kid: keyName(KEY), secret: secret(KEY) }, { clientId: 'late', capability: {}, ttlSeconds: 1, issuedAt: Math.floor(Date.now() / 1000) - 60 });
    const raw = new Realtime({ ...standIn.clientOptions, authCallback: (_params, callback) => callback(null, expired.token), logLevel: 0 });
    rawClients.push(raw);
    const reason = await new Promise<ErrorInfo | undefined>((resolve) => raw.connection.once('disconnected', (change) => resolve(change.reason)));
    expect(reason?.code).toBe(40142);
    raw.close();
  });

  it('speaks msgpack by default and JSON when asked', async () => {
    const { client: binary } = client({ id: 'bin' });
    const { client: text } = client({ id: 'txt' }, { useBinaryProtocol: false });
    await Promise.all([binary.connect(), text.connect()]);
    expect(connectionOf(binary.socketId)?.format).toBe('msgpack');
    expect(connectionOf(text.socketId)?.format).toBe('json');
  });
});

describe('client credentials', () => {
  it('fetches a fresh token when the old one expires, and keeps receiving', async () => {
    const { client: reader, calls } = client({ id: 'renewer' });
    const channel = unique();
    const inbox = collect(reader, channel, 'e');
    await reader.whenSubscribed(channel);
    const first = connectionOf(reader.socketId)!;
    standIn.expireToken(first.id);
    await eventually(() => expect(connectionOf(reader.socketId)?.id).toBeDefined(), 5000);
    await eventually(() => expect(reader.state).toBe('connected'));
    const second = connectionOf(reader.socketId)!;
    expect(second.id).not.toBe(first.id);
    // A new token was fetched for the new connection; the expired one was not reused.
    expect(calls.length).toBeGreaterThanOrEqual(2);
    expect(second.tokens[0]).not.toBe(first.tokens[0]);
    await eventually(async () => {
      await realtime.publish(channel, 'e', 'after renewal');
      expect(inbox.received).toContain('after renewal');
    });
  });

  it('a token source that says no (logged out) fails the connection with its own error; a network failure retries', async () => {
    const refused = createRealtimeClient({
      provider: 'ably',
      ...standIn.clientOptions,
      getCredentials: async () => {
        throw new RealtimeError('unauthorized', 'not logged in', { status: 401 });
      },
    });
    clients.push(refused);
    const failed = await failure(refused.connect());
    expect(failed.code).toBe('unauthorized');
    // A refused credential is terminal: the client stops and tells the app (auth_failed).
    expect(refused.state).toBe('auth_failed');

    let attempts = 0;
    const flaky = createRealtimeClient({
      provider: 'ably',
      ...standIn.clientOptions,
      getCredentials: async () => {
        attempts++;
        throw new RealtimeError('provider_unavailable', 'token endpoint down', { retryable: true });
      },
    });
    clients.push(flaky);
    const errors: Error[] = [];
    flaky.onStateChange((_state, error) => error && errors.push(error));
    void flaky.connect().catch(() => undefined);
    await waitForState(flaky, 'reconnecting');
    expect(attempts).toBe(1);
    expect(errors.at(-1)).toMatchObject({ code: 'provider_unavailable' });
    flaky.disconnect();
  });

  it('a dropped connection reconnects with a freshly fetched token', async () => {
    const { client: reader, calls } = client({ id: 'dropped' });
    await reader.connect();
    const first = connectionOf(reader.socketId)!;
    const fetchesBefore = calls.length;
    first.socket.terminate();
    await waitForState(reader, 'reconnecting');
    await waitForState(reader, 'connected');
    const second = connectionOf(reader.socketId)!;
    expect(second.id).not.toBe(first.id);
    expect(calls.length).toBe(fetchesBefore + 1);
    expect(second.tokens[0]).not.toBe(first.tokens.at(-1));
  });

  it('subscribing to a new channel re-authorises in place: same connection, token for both channels', async () => {
    const { client: reader, calls } = client({ id: 'grower' });
    const first = unique();
    const second = unique('private-');
    reader.subscribe(first, 'e', () => {});
    await reader.whenSubscribed(first);
    const connection = connectionOf(reader.socketId)!;
    const inbox = collect(reader, second, 'e');
    await reader.whenSubscribed(second);
    expect(connectionOf(reader.socketId)?.id).toBe(connection.id);
    expect(connection.tokens).toHaveLength(2);
    // Every token also covers the library's system channel (secret rotation notices).
    expect([...calls.at(-1)!].sort()).toEqual([first, second, SYSTEM_CHANNEL].sort());
    expect(Object.keys(connection.identity.capability).sort()).toEqual([first, second, SYSTEM_CHANNEL].sort());
    await realtime.publish(second, 'e', 'granted');
    expect(await inbox.waitFor(1)).toEqual(['granted']);
  });

  it('reauthenticate() (and Ably asking for AUTH) renews credentials without dropping the connection', async () => {
    const user = { id: 'rotator' };
    const source = tokenSource(user);
    const transport = createAblyTransport({ fetchToken: source.fetchToken, ...standIn.clientOptions });
    const states: string[] = [];
    transport.onStateChange((state) => states.push(state));
    const channel = unique();
    const received: unknown[] = [];
    await new Promise<void>((resolve, reject) => {
      transport.subscribe(channel, { onEvent: (event) => received.push(event.data), onSubscribed: resolve, onError: reject });
      transport.connect();
    });
    const connection = connectionOf(transport.socketId)!;
    await transport.reauthenticate!();
    standIn.requestReauth(connection.id);
    await eventually(() => expect(connection.tokens).toHaveLength(3));
    expect(new Set(connection.tokens).size).toBe(3);
    expect(connectionOf(transport.socketId)?.id).toBe(connection.id);
    expect(states.filter((state) => state !== 'connected' && state !== 'connecting')).toEqual([]);
    await realtime.publish(channel, 'e', 'still here');
    await eventually(() => expect(received).toEqual(['still here']));
    transport.disconnect();
  });

  it('terminateUser revokes tokens of every key in the keyring; the user stays disconnected, others stay', async () => {
    const oldKeyServer = createAblyAuth(parseConfig({ provider: 'ably', apiKeys: [OLD_KEY] }) as AblyConfig);
    const { client: current } = client({ id: 'leaving' });
    const { client: onOldKey } = client({ id: 'leaving' }, { sign: oldKeyServer });
    const { client: bystander } = client({ id: 'staying' });
    await Promise.all([current.connect(), onOldKey.connect(), bystander.connect()]);
    expect(connectionOf(onOldKey.socketId)?.identity.keyName).toBe(keyName(OLD_KEY));
    const closed = [current, onOldKey].map((tab) => waitForState(tab, 'disconnected'));
    await realtime.terminateUser('leaving');
    await Promise.all(closed);
    const revocations = standIn.requests.filter((request) => request.path.endsWith('/revokeTokens'));
    expect(revocations.map((request) => request.path)).toEqual([`/keys/${keyName(KEY)}/revokeTokens`, `/keys/${keyName(OLD_KEY)}/revokeTokens`]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(current.state).toBe('disconnected');
    expect(onOldKey.state).toBe('disconnected');
    expect(bystander.state).toBe('connected');
  });
});

describe('presence', () => {
  it('reports members added and removed, one member per user however many connections', async () => {
    const channel = unique('presence-');
    const watcher = tokenSource({ id: 'watcher', info: { name: 'W' } });
    const transport = createAblyTransport({ fetchToken: watcher.fetchToken, ...standIn.clientOptions });
    const added: PresenceMember[] = [];
    const removed: PresenceMember[] = [];
    await new Promise<void>((resolve, reject) => {
      transport.subscribe(channel, {
        onEvent: () => {},
        onSubscribed: resolve,
        onError: reject,
        onMemberAdded: (member) => added.push(member),
        onMemberRemoved: (member) => removed.push(member),
      });
      transport.connect();
    });
    expect(transport.members(channel)).toEqual([{ id: 'watcher', info: { name: 'W' } }]);
    const { client: tab1 } = client({ id: 'carol', info: { name: 'Carol' } });
    const { client: tab2 } = client({ id: 'carol', info: { name: 'Carol' } });
    tab1.subscribe(channel, 'noop', () => {});
    tab2.subscribe(channel, 'noop', () => {});
    await Promise.all([tab1.whenSubscribed(channel), tab2.whenSubscribed(channel)]);
    await eventually(() => expect(transport.members(channel).map((member) => member.id).sort()).toEqual(['carol', 'watcher']));
    expect(added).toEqual([{ id: 'carol', info: { name: 'Carol' } }]);
    tab1.disconnect();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(removed).toEqual([]);
    tab2.disconnect();
    await eventually(() => expect(removed.map((member) => member.id)).toEqual(['carol']));
    expect(transport.members(channel).map((member) => member.id)).toEqual(['watcher']);
    // Leaving the channel (not the connection) leaves presence too.
    const { client: dave } = client({ id: 'dave' });
    const off = dave.subscribe(channel, 'noop', () => {});
    await dave.whenSubscribed(channel);
    await eventually(() => expect(added.map((member) => member.id)).toEqual(['carol', 'dave']));
    off();
    await eventually(() => expect(removed.map((member) => member.id)).toEqual(['carol', 'dave']));
    expect(dave.state).toBe('connected');
    transport.disconnect();
  });
});

describe('anonymous visitors with default client options (the route handlers, no session)', () => {
  const policy = defineChannels({ 'private-notes.{id}': (user: { id: string }, { id }) => user.id === id });
  /** A visitor's browser: the route handlers as its fetch, and a session cookie once it signs in. */
  function visitor() {
    const record: RouteRequest[] = [];
    const handlers = createRealtimeHandlers<{ id: string }>({ realtime, channels: policy, getUser: sessionUser, log: () => undefined });
    const browser = { session: undefined as string | undefined };
    const created = createRealtimeClient({
      provider: 'ably',
      ...standIn.clientOptions,
      fetch: routeFetch(handlers, { record }),
      headers: () => (browser.session ? sessionHeaders(browser.session) : {}),
    });
    clients.push(created);
    return { client: created, record, browser };
  }

  it('connects with an anonymous token (no clientId, public channels only) and receives a public publish; a private channel fails for that channel only', async () => {
    const { client: anonymous, record } = visitor();
    const channel = unique();
    const inbox = collect(anonymous, channel, 'headline');
    const refused = new Promise<Error>((resolve) => anonymous.on('subscription_error', ({ error }) => resolve(error)));
    anonymous.subscribe('private-notes.ann', 'note', () => {});
    await anonymous.whenSubscribed(channel);
    expect(anonymous.state).toBe('connected');
    const connection = connectionOf(anonymous.socketId)!;
    expect(connection.identity.clientId).toBeUndefined();
    expect(Object.keys(connection.identity.capability).sort()).toEqual([channel, SYSTEM_CHANNEL].sort());
    expect(Object.values(connection.identity.capability).every((operations) => JSON.stringify(operations) === '["subscribe"]')).toBe(true);
    // The client asked for an anonymous token and got one (200), never a 401 it stopped on.
    expect(record.filter((request) => request.endpoint === 'token').map((request) => request.status)).not.toContain(401);
    await realtime.publish(channel, 'headline', 'for everyone');
    expect(await inbox.waitFor(1)).toEqual(['for everyone']);
    expect(await refused).toMatchObject({ code: 'forbidden' });
    expect(anonymous.subscriptionStatus('private-notes.ann')).toBe('failed');
    expect(anonymous.state).toBe('connected');
  });

  it('a second public channel re-authorises in place (same connection)', async () => {
    const { client: anonymous } = visitor();
    const first = unique();
    const second = unique();
    collect(anonymous, first, 'e');
    await anonymous.whenSubscribed(first);
    const connection = connectionOf(anonymous.socketId)!;
    const inbox = collect(anonymous, second, 'e');
    await anonymous.whenSubscribed(second);
    expect(connectionOf(anonymous.socketId)?.id).toBe(connection.id);
    expect(Object.keys(connection.identity.capability).sort()).toEqual([first, second, SYSTEM_CHANNEL].sort());
    await realtime.publish(second, 'e', 'second');
    expect(await inbox.waitFor(1)).toEqual(['second']);
  });

  it('a visitor who signs in goes on as the user on a new connection (Ably never changes a clientId in place) and gets the private channel', async () => {
    const { client: browserClient, browser } = visitor();
    const channel = unique();
    const news = collect(browserClient, channel, 'headline');
    await browserClient.whenSubscribed(channel);
    const anonymousConnection = connectionOf(browserClient.socketId)!;
    expect(anonymousConnection.identity.clientId).toBeUndefined();
    const failures: string[] = [];
    browserClient.on('subscription_error', ({ channel: failed }) => failures.push(failed));
    browser.session = 'ann';
    const notes = collect(browserClient, 'private-notes.ann', 'note');
    await browserClient.whenSubscribed('private-notes.ann');
    await eventually(() => expect(connectionOf(browserClient.socketId)?.identity.clientId).toBe('ann'));
    expect(connectionOf(browserClient.socketId)!.id).not.toBe(anonymousConnection.id);
    expect(browserClient.state).toBe('connected');
    await browserClient.whenSubscribed(channel);
    await realtime.publish('private-notes.ann', 'note', 'for ann');
    await realtime.publish(channel, 'headline', 'still public');
    expect(await notes.waitFor(1)).toEqual(['for ann']);
    expect(await news.waitFor(1)).toEqual(['still public']);
    expect(failures).toEqual([]);
  });

  it('`signIn: true` means the visitor must be signed in: no anonymous token, auth_failed', async () => {
    const handlers = createRealtimeHandlers<{ id: string }>({ realtime, channels: policy, getUser: sessionUser, log: () => undefined });
    const strict = createRealtimeClient({ provider: 'ably', ...standIn.clientOptions, fetch: routeFetch(handlers), signIn: true });
    clients.push(strict);
    const failed = await failure(strict.connect());
    expect(failed.code).toBe('unauthorized');
    expect(strict.state).toBe('auth_failed');
  });
});
