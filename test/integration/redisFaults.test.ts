import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { defineChannels } from '../../src/index.js';
import { connectionChannelName } from '../../src/core/systemEvents.js';
import { parseKeyring } from '../../src/core/keyring.js';
import { createRealtimeHandlers, type RateLimiter } from '../../src/next/index.js';
import { createConnectionGuard } from '../../src/server/connections/connectionGuard.js';
import { createRealtime, createStateStore, type Realtime, type StateStore } from '../../src/server/index.js';
import { createRotatingKeyring } from '../../src/server/rotation/rotatingKeyring.js';
import { createSecretRotation } from '../../src/server/rotation/rotation.js';
import { eventually } from '../support/events.js';
import { startOwnRedis, type OwnRedis } from '../support/redisServer.js';

/**
 * Redis stopped and started again under the features that share state through it, on a real
 * redis-server this test starts on its own port (never the shared one): sign-ins fail closed with
 * 503 provider_unavailable, a rotation whose deadline passes during the outage completes once
 * Redis is back, a shared token rate limiter fails open, nothing crashes, and no slot is left
 * behind. docs/live-connections.md ("When Redis is down") documents the same behaviour.
 */

/** A memory-provider realtime whose connection channels list the sockets this test says are live. */
function observedRealtime() {
  const base = createRealtime({ provider: 'memory' });
  const live = new Map<string, Set<string>>();
  const terminated: string[] = [];
  const channelOwner = new Map<string, string>();
  const realtime: Realtime = {
    ...base,
    async getProvider() {
      const provider = await base.getProvider();
      return {
        ...provider,
        presenceMemberIds: async (channel: string) => [...(live.get(channelOwner.get(channel) ?? '') ?? [])],
        terminateUserConnections: async (userId: string) => {
          terminated.push(userId);
          live.delete(userId);
        },
      };
    },
  };
  return {
    realtime,
    terminated,
    async setLive(userId: string, socketIds: string[]) {
      channelOwner.set(await connectionChannelName(userId), userId);
      live.set(userId, new Set(socketIds));
    },
    close: () => base.close(),
  };
}

const TOKEN_SECRETS = 'k2:faults-secret-new-0123456789,k1:faults-secret-old-0123456789';

describe('Redis stopped and started again', () => {
  let redis: OwnRedis;
  let sharedStore: StateStore;
  const cleanups: Array<() => unknown> = [];
  const logged: string[] = [];
  let consoleLines: string[] = [];
  let consoleSpy: { mockRestore(): void } | undefined;

  beforeAll(async () => {
    redis = await startOwnRedis();
    // The store an app gets from REDIS_URL (createStateStore: ioredis, its retry settings).
    sharedStore = createStateStore({ redisUrl: redis.url, prefix: `faults:${process.pid}:` });
    consoleSpy = vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void consoleLines.push(args.map(String).join(' ')));
  });
  afterAll(async () => {
    consoleSpy?.mockRestore();
    for (const cleanup of cleanups.reverse()) await cleanup();
    await sharedStore?.close();
    await redis?.close();
  });

  // A failed test must not leave the next one without Redis.
  afterEach(async () => {
    if (!redis.running) await redis.start();
  });

  function app(
    observed: ReturnType<typeof observedRealtime>,
    options: { maxPerUser: number; rateLimiter?: RateLimiter; store?: StateStore; storeUnavailable?: 'refuse' | 'admit'; guardLog?: (line: string) => void },
  ) {
    const store = options.store ?? sharedStore;
    const keyring = createRotatingKeyring({ keyring: parseKeyring(TOKEN_SECRETS), store, refreshMs: 100 });
    const guard = createConnectionGuard({
      realtime: observed.realtime,
      store,
      keyring,
      maxPerUser: options.maxPerUser,
      joinGraceMs: 200,
      ...(options.storeUnavailable ? { storeUnavailable: options.storeUnavailable } : {}),
      ...(options.guardLog ? { log: options.guardLog } : {}),
    });
    cleanups.push(keyring.dispose, guard.dispose);
    const handlers = createRealtimeHandlers({
      realtime: observed.realtime,
      channels: defineChannels<{ id: string }, never>({}),
      getUser: (request) => {
        const id = /session=(\w+)/.exec(request.headers.get('cookie') ?? '')?.[1];
        return id ? { id } : null;
      },
      tokenSecrets: keyring,
      hooks: guard.hooks,
      tokenRateLimit: options.rateLimiter ?? { capacity: 100 },
      log: (line) => logged.push(line),
    });
    const signIn = async (userId: string, socketId: string) => {
      const response = await handlers.POST(
        new Request('http://app.test/api/realtime/user-auth', {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `session=${userId}` },
          body: `socket_id=${socketId}`,
        }),
        { params: Promise.resolve({ path: ['user-auth'] }) },
      );
      return { status: response.status, body: (await response.json()) as { error?: { code: string } } };
    };
    const token = async (userId: string) =>
      (await handlers.GET(new Request('http://app.test/api/realtime/token', { headers: { cookie: `session=${userId}` } }), { params: Promise.resolve({ path: ['token'] }) })).status;
    return { keyring, guard, signIn, token };
  }

  it('sign-ins fail closed with 503 provider_unavailable while Redis is down, and no slot is leaked once it is back', async () => {
    const observed = observedRealtime();
    cleanups.push(observed.close);
    const { guard, signIn } = app(observed, { maxPerUser: 3 });
    expect((await signIn('alice', '1.1')).status).toBe(200);
    expect((await signIn('alice', '1.2')).status).toBe(200);
    await observed.setLive('alice', ['1.1', '1.2']);

    // Bob keeps signing in (tabs that close at once) while Redis goes away under the requests.
    let counter = 0;
    const answers: Array<Promise<{ status: number; ms: number }>> = [];
    const burst = setInterval(() => {
      const started = Date.now();
      answers.push(signIn('bob', `2.${++counter}`).then(({ status }) => ({ status, ms: Date.now() - started })));
    }, 20);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await redis.stop();
    await new Promise((resolve) => setTimeout(resolve, 600));
    clearInterval(burst);

    // Down: every sign-in is refused with a typed, retryable answer; the limit is never bypassed.
    const down = await signIn('alice', '1.3');
    expect(down).toEqual({ status: 503, body: { error: { code: 'provider_unavailable', message: expect.stringContaining('state store (Redis) is unavailable') } } });
    const settled = await Promise.all(answers);
    expect(settled.length).toBeGreaterThan(20);
    for (const answer of settled) expect([200, 429, 503], JSON.stringify(answer)).toContain(answer.status);
    expect(settled.some((answer) => answer.status === 503)).toBe(true);
    expect(Math.max(...settled.map((answer) => answer.ms))).toBeLessThan(10_000);
    // Logout: freeing the slots fails, and says so.
    await expect(guard.terminateUser('erin')).rejects.toMatchObject({ code: 'provider_unavailable' });
    expect(logged.some((line) => line.includes('/user-auth') && line.includes('provider_unavailable')), logged.join('\n')).toBe(true);

    // Meanwhile alice closes a tab; bob's tabs are all gone.
    await observed.setLive('alice', ['1.2']);
    await observed.setLive('bob', []);
    await redis.start();

    // Back: sign-ins work again (ioredis reconnects by itself), and only live sockets hold slots.
    await eventually(async () => expect((await signIn('alice', '1.3')).status).toBe(200), 10_000, 100);
    await observed.setLive('alice', ['1.2', '1.3']);
    expect((await signIn('alice', '1.4')).status).toBe(200);
    await observed.setLive('alice', ['1.2', '1.3', '1.4']);
    expect((await signIn('alice', '1.5')).status).toBe(429);
    expect((await guard.liveConnections('alice')).map((record) => record.socketId).sort()).toEqual(['1.2', '1.3', '1.4']);
    // Bob's slots from before the outage are not leaked: three fresh tabs fit.
    for (const socketId of ['3.1', '3.2', '3.3']) expect((await signIn('bob', socketId)).status).toBe(200);
    await observed.setLive('bob', ['3.1', '3.2', '3.3']);
    expect((await signIn('bob', '3.4')).status).toBe(429);
    expect((await guard.liveConnections('bob')).map((record) => record.socketId).sort()).toEqual(['3.1', '3.2', '3.3']);
  }, 60_000);

  it("`storeUnavailable: 'admit'`: sign-ins go through unrecorded (logged) while Redis is down; once it is back the limit holds again", async () => {
    const observed = observedRealtime();
    cleanups.push(observed.close);
    const guardLines: string[] = [];
    const { guard, signIn } = app(observed, { maxPerUser: 2, storeUnavailable: 'admit', guardLog: (line) => guardLines.push(line) });
    expect((await signIn('frank', '5.1')).status).toBe(200);
    await observed.setLive('frank', ['5.1']);

    await redis.stop();
    // Down: admitted (not a 503), each one says so in the log; nobody is locked out.
    for (const socketId of ['5.2', '5.3', '5.4']) expect((await signIn('frank', socketId)).status).toBe(200);
    expect(guardLines.filter((line) => line.includes('connection limit not enforced'))).toHaveLength(3);
    expect(guardLines.join('\n')).toMatch(/state store \(Redis\) is unavailable/);

    await redis.start();
    // Back: only the recorded sign-in holds a slot (the outage's were not recorded); the limit applies.
    await eventually(async () => expect((await signIn('frank', '5.5')).status).toBe(200), 10_000, 100);
    await observed.setLive('frank', ['5.1', '5.2', '5.3', '5.4', '5.5']);
    expect((await signIn('frank', '5.6')).status).toBe(429);
    expect((await guard.liveConnections('frank')).map((record) => record.socketId).sort()).toEqual(['5.1', '5.5']);
  }, 60_000);

  it('a rotation: start() fails closed while Redis is down; a deadline that passes during the outage is enforced once Redis is back', async () => {
    consoleLines = [];
    const observed = observedRealtime();
    cleanups.push(observed.close);
    // Its own namespace: the rotation must see only this test's connections.
    const store = createStateStore({ redisUrl: redis.url, prefix: `faults:${process.pid}:rotation:` });
    cleanups.push(() => store.close());
    const { keyring, signIn } = app(observed, { maxPerUser: 5, store });
    // Connections signed with k2 (the current key) become stale when rotating to k1.
    expect((await signIn('carol', '4.1')).status).toBe(200);
    await observed.setLive('carol', ['4.1']);
    const rotation = createSecretRotation({ realtime: observed.realtime, store, keyring, joinGraceMs: 200, propagationMs: 150, retryMs: 300 });
    cleanups.push(rotation.dispose);

    await redis.stop();
    await expect(rotation.start({ toKid: 'k1', graceMs: 500 })).rejects.toMatchObject({ code: 'provider_unavailable' });
    expect(keyring.current.kid).toBe('k2'); // nothing changed
    await redis.start();
    await eventually(async () => expect((await store.keyState()).retiredKids).toBeDefined(), 10_000, 100);

    const started = await rotation.start({ toKid: 'k1', graceMs: 500 });
    expect(started.pending).toBe(1);
    expect(keyring.current.kid).toBe('k1');
    await redis.stop();
    // The deadline passes with Redis down: closing fails, is reported, and is retried; the
    // keyring keeps its last known state (k1 signs, k2 still verifies: nothing was retired).
    await eventually(() => expect(consoleLines.filter((line) => line.includes('rotation deadline failed')).length).toBeGreaterThanOrEqual(2), 10_000, 50);
    expect(keyring.current.kid).toBe('k1');
    expect(keyring.find('k2')).toBeDefined();
    expect(observed.terminated).toEqual([]);
    expect(consoleLines.join('\n')).toContain('state store (Redis) is unavailable');

    await redis.start();
    await eventually(async () => expect((await rotation.status(started.id))?.phase).toBe('completed'), 15_000, 100);
    const done = (await rotation.status(started.id))!;
    expect({ pending: done.pending, closed: done.closed }).toEqual({ pending: 0, closed: 1 });
    expect(observed.terminated).toEqual(['carol']);
    await keyring.refresh();
    expect(keyring.find('k2')).toBeUndefined();
  }, 60_000);

  it('token rate limit: the default limiter is in memory (unaffected); a shared one on Redis fails open, logged, and limits again once Redis is back', async () => {
    logged.length = 0;
    const limiterClient = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    limiterClient.on('error', () => undefined);
    cleanups.push(() => limiterClient.quit().catch(() => limiterClient.disconnect()));
    const sharedLimiter: RateLimiter = {
      async consume(key) {
        const count = await limiterClient.incr(`faults:${process.pid}:limit:${key}`);
        return count <= 2 ? { allowed: true, retryAfterSeconds: 0 } : { allowed: false, retryAfterSeconds: 60 };
      },
    };
    const inMemory = app(observedRealtime(), { maxPerUser: 5 });
    const shared = app(observedRealtime(), { maxPerUser: 5, rateLimiter: sharedLimiter });
    expect(await shared.token('dave')).toBe(200);

    await redis.stop();
    expect(await inMemory.token('dave')).toBe(200);
    for (let i = 0; i < 4; i++) expect(await shared.token('dave')).toBe(200);
    expect(logged.filter((line) => line.includes('rate limiter failed'))).toHaveLength(4);

    await redis.start();
    await eventually(async () => expect(await shared.token('dave')).toBe(200), 10_000, 100); // the 2nd counted request
    expect(await shared.token('dave')).toBe(429);
  }, 60_000);
});
