import { afterAll, describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../src/server/state/memoryStore.js';
import { createStateStore } from '../../src/server/state/index.js';
import type { AdmitConnectionRequest, StateStore } from '../../src/server/state/stateStore.js';
import { redisNamespace, REDIS_URL } from '../support/redisFixture.js';

/** One suite, both stores: they must mean the same thing (Redis against real Redis). */
const namespaces: Array<ReturnType<typeof redisNamespace>> = [];
afterAll(async () => {
  await Promise.all(namespaces.map((namespace) => namespace.cleanup()));
});

const fixtures: Array<{ name: string; open(): { first: StateStore; second: StateStore } }> = [
  {
    name: 'memory',
    open() {
      const store = createMemoryStore();
      return { first: store, second: store };
    },
  },
  {
    name: 'redis',
    open() {
      const namespace = redisNamespace('store');
      namespaces.push(namespace);
      return { first: namespace.store(), second: namespace.store() };
    },
  },
];

const request = (overrides: Partial<AdmitConnectionRequest> & { socketId: string }): AdmitConnectionRequest => ({
  userId: 'u1',
  kid: 'k1',
  now: 1_000_000,
  maxPerUser: 3,
  joinGraceMs: 1000,
  recordTtlMs: 60_000,
  ...overrides,
});

describe.each(fixtures)('$name state store', ({ open }) => {
  it('admits up to the limit, refuses the next, always re-admits a recorded socket (re-authentication)', async () => {
    const { first, second } = open();
    for (const socketId of ['1.1', '1.2', '1.3']) expect((await first.admitConnection(request({ socketId }))).admitted).toBe(true);
    expect(await second.admitConnection(request({ socketId: '1.4' }))).toEqual({ admitted: false, count: 3 });
    expect(await second.admitConnection(request({ socketId: '1.2', kid: 'k2' }))).toEqual({ admitted: true, count: 3 });
    expect((await first.connections('u1')).find((record) => record.socketId === '1.2')).toMatchObject({ kid: 'k2', since: 1_000_000 });
    // Other users are counted apart.
    expect((await second.admitConnection(request({ socketId: '2.1', userId: 'u2' }))).admitted).toBe(true);
  });

  it('prunes with the live list: gone and seen -> dropped; gone and older than the grace -> dropped; young -> kept', async () => {
    const { first, second } = open();
    await first.admitConnection(request({ socketId: '1.1', now: 1_000_000 }));
    await first.admitConnection(request({ socketId: '1.2', now: 1_000_000 }));
    await first.admitConnection(request({ socketId: '1.3', now: 1_001_500 }));
    // At 1_001_600: 1.1 is listed (seen), 1.2 is not and is 1.6 s old, 1.3 is not but is young.
    const result = await second.admitConnection(request({ socketId: '1.4', now: 1_001_600, liveSocketIds: ['1.1'] }));
    expect(result).toEqual({ admitted: true, count: 3 });
    expect((await first.connections('u1')).map((record) => record.socketId).sort()).toEqual(['1.1', '1.3', '1.4']);
    expect((await first.connections('u1')).find((record) => record.socketId === '1.1')?.seen).toBe(true);
    // 1.1 was seen, so once it is not listed it is dropped at once, however young.
    const later = await second.admitConnection(request({ socketId: '1.5', now: 1_001_700, liveSocketIds: ['1.3', '1.4'] }));
    expect(later).toEqual({ admitted: true, count: 3 });
    expect((await first.connections('u1')).map((record) => record.socketId).sort()).toEqual(['1.3', '1.4', '1.5']);
  });

  it('removes one socket or every record of a user', async () => {
    const { first, second } = open();
    for (const socketId of ['1.1', '1.2']) await first.admitConnection(request({ socketId }));
    await second.removeConnections('u1', ['1.1']);
    expect((await first.connections('u1')).map((record) => record.socketId)).toEqual(['1.2']);
    await second.removeConnections('u1');
    expect(await first.connections('u1')).toEqual([]);
    expect(await first.allConnections()).toEqual([]);
  });

  it('keeps a rotation: pending, re-authenticated, a lagging sign-in on the old key, settle, one closer, completion', async () => {
    const { first, second } = open();
    for (const socketId of ['1.1', '1.2', '1.3']) await first.admitConnection(request({ socketId, kid: 'old', maxPerUser: 5 }));
    const record = { id: 'r1', toKid: 'new', fromKids: ['old'], startedAt: 1, deadline: 2, phase: 'announced' as const };
    expect(await first.beginRotation(record)).toBe(true);
    expect(await second.beginRotation({ ...record, id: 'r2' })).toBe(false);
    expect((await second.keyState()).signingKid).toBe('new');
    expect((await second.activeRotation())?.id).toBe('r1');

    // 1.1 re-authenticates before the snapshot is taken: the snapshot must not put it back.
    await second.admitConnection(request({ socketId: '1.1', kid: 'new', maxPerUser: 5 }));
    await first.addPending('r1', (await first.allConnections()).filter((connection) => connection.kid === 'old'));
    await first.addPending('r1', [{ userId: 'u1', socketId: '1.1' }]);
    expect(await second.counts('r1')).toEqual({ pending: 2, reauthenticated: 0, closed: 0, gone: 0 });
    await second.admitConnection(request({ socketId: '1.2', kid: 'new', maxPerUser: 5 }));
    // An instance that still signs with the old key admits a new socket: it joins pending.
    await second.admitConnection(request({ socketId: '1.4', kid: 'old', maxPerUser: 5 }));
    // A brand-new connection on the new key is not a re-authentication.
    await second.admitConnection(request({ socketId: '1.5', kid: 'new', maxPerUser: 5 }));
    expect(await first.counts('r1')).toEqual({ pending: 2, reauthenticated: 1, closed: 0, gone: 0 });
    expect((await first.pending('r1')).map((ref) => ref.socketId).sort()).toEqual(['1.3', '1.4']);

    expect(await first.claimClosing('r1', 60_000)).toBe(true);
    expect(await second.claimClosing('r1', 60_000)).toBe(false);
    expect((await second.rotation('r1'))?.phase).toBe('closing');
    await second.settle('r1', [{ userId: 'u1', socketId: '1.3' }], [{ userId: 'u1', socketId: '1.4' }]);
    expect(await first.counts('r1')).toEqual({ pending: 0, reauthenticated: 1, closed: 1, gone: 1 });
    await first.completeRotation('r1', 99, 0);
    expect(await second.rotation('r1')).toMatchObject({ phase: 'completed', completedAt: 99, collateral: 0 });
    expect(await second.activeRotation()).toBeUndefined();
    expect((await second.latestRotation())?.id).toBe('r1');
    expect(await second.keyState()).toEqual({ signingKid: 'new', retiredKids: ['old'] });
    expect(await second.claimClosing('r1', 60_000)).toBe(false);
  });
});

describe('redis state store', () => {
  it('two instances racing for the same user admit exactly the limit', async () => {
    const namespace = redisNamespace('race');
    namespaces.push(namespace);
    const stores = [namespace.store(), namespace.store()];
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, index) => stores[index % 2]!.admitConnection(request({ socketId: `9.${index}`, maxPerUser: 5 }))),
    );
    expect(results.filter((result) => result.admitted)).toHaveLength(5);
    expect(await stores[0]!.connections('u1')).toHaveLength(5);
  });

  it('records expire after recordTtlMs without sign-ins (a backstop against leaks)', async () => {
    const namespace = redisNamespace('ttl');
    namespaces.push(namespace);
    const store = namespace.store();
    await store.admitConnection(request({ socketId: '1.1', recordTtlMs: 150 }));
    expect(await store.connections('u1')).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await store.connections('u1')).toEqual([]);
    expect(await store.allConnections()).toEqual([]);
  });

  it('createStateStore picks Redis only when a Redis URL is given', async () => {
    const memory = await createStateStore({ redisUrl: '' });
    expect(memory.kind).toBe('memory');
    const namespace = redisNamespace('factory');
    namespaces.push(namespace);
    const redis = await createStateStore({ redisUrl: REDIS_URL, prefix: namespace.prefix });
    try {
      expect(redis.kind).toBe('redis');
      expect((await redis.admitConnection(request({ socketId: '1.1' }))).admitted).toBe(true);
    } finally {
      await redis.close();
    }
  });
});
