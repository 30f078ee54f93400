import { readProcessEnv } from '../../core/env.js';
import { createRedisClient } from '../redisClient.js';
import { createMemoryStore } from './memoryStore.js';
import type { StateStore } from './stateStore.js';

export type { StateStore, ConnectionRecord, RotationRecord, RotationCounts, KeyState, ConnectionRef } from './stateStore.js';
export { createMemoryStore } from './memoryStore.js';

export interface StateStoreOptions {
  /** Defaults to REDIS_URL. Without one, state lives in this process only. */
  redisUrl?: string | undefined;
  /** Key namespace in Redis (default `next-realtime:`). */
  prefix?: string;
}

/**
 * Redis when REDIS_URL (or `redisUrl`) is set, memory otherwise. Synchronous, so it can sit at
 * module top level next to createRealtime(): ioredis (an optional peer dependency) is imported
 * on the first operation, and only when a Redis URL is given.
 */
export function createStateStore(options: StateStoreOptions = {}): StateStore {
  const url = options.redisUrl ?? readProcessEnv().REDIS_URL;
  if (!url) return createMemoryStore();
  let loading: Promise<StateStore> | undefined;
  const load = (): Promise<StateStore> =>
    (loading ??= (async () => {
      // Reconnect attempts at most 500 ms apart: while Redis is down a command fails after two
      // of them (about 1 s, not the 4 s of ioredis' default 2 s cap), so a sign-in gets its 503 fast.
      const client = await createRedisClient(url, { maxRetriesPerRequest: 2, retryStrategy: (times) => Math.min(times * 50, 500) });
      const { createRedisStore } = await import('./redisStore.js');
      return createRedisStore({ client, prefix: options.prefix, ownsClient: true });
    })());
  const lazy = <Name extends Exclude<keyof StateStore, 'kind' | 'close'>>(name: Name) =>
    (async (...args: unknown[]) => ((await load())[name] as (...inner: unknown[]) => unknown)(...args)) as StateStore[Name];
  return {
    kind: 'redis',
    admitConnection: lazy('admitConnection'),
    connections: lazy('connections'),
    allConnections: lazy('allConnections'),
    removeConnections: lazy('removeConnections'),
    keyState: lazy('keyState'),
    beginRotation: lazy('beginRotation'),
    activeRotation: lazy('activeRotation'),
    latestRotation: lazy('latestRotation'),
    rotation: lazy('rotation'),
    addPending: lazy('addPending'),
    pending: lazy('pending'),
    settle: lazy('settle'),
    counts: lazy('counts'),
    claimClosing: lazy('claimClosing'),
    releaseClosing: lazy('releaseClosing'),
    completeRotation: lazy('completeRotation'),
    async close() {
      if (loading) await (await loading.catch(() => undefined))?.close();
    },
  };
}

const DEFAULT_STORE = Symbol.for('next-realtime.defaultStateStore');

/**
 * One store per process for the guard and the rotation to share (kept on globalThis because
 * Next.js may load this module more than once).
 */
export function getDefaultStateStore(): StateStore {
  const holder = globalThis as { [DEFAULT_STORE]?: StateStore };
  holder[DEFAULT_STORE] ??= createStateStore();
  return holder[DEFAULT_STORE];
}
