import { RealtimeError } from '../../core/errors.js';
import { readProcessEnv } from '../../core/config.js';
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
 * Redis when REDIS_URL (or `redisUrl`) is set, memory otherwise. ioredis is an optional peer
 * dependency, loaded only here and only when a Redis URL is given.
 */
export async function createStateStore(options: StateStoreOptions = {}): Promise<StateStore> {
  const url = options.redisUrl ?? readProcessEnv().REDIS_URL;
  if (!url) return createMemoryStore();
  let IORedis: typeof import('ioredis').Redis;
  try {
    IORedis = (await import('ioredis')).Redis;
  } catch (error) {
    throw new RealtimeError('invalid_config', 'REDIS_URL is set, but the "ioredis" package is not installed (npm install ioredis)', { cause: error });
  }
  const { createRedisStore } = await import('./redisStore.js');
  const client = new IORedis(url, { maxRetriesPerRequest: 2, lazyConnect: false });
  return createRedisStore({ client, prefix: options.prefix, ownsClient: true });
}

const DEFAULT_STORE = Symbol.for('next-realtime.defaultStateStore');

/**
 * One store per process for the guard and the rotation to share (kept on globalThis because
 * Next.js may load this module more than once).
 */
export function getDefaultStateStore(): Promise<StateStore> {
  const holder = globalThis as { [DEFAULT_STORE]?: Promise<StateStore> };
  holder[DEFAULT_STORE] ??= createStateStore();
  return holder[DEFAULT_STORE];
}
