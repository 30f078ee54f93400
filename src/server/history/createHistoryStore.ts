import { readProcessEnv } from '../../core/config.js';
import { RealtimeError } from '../../core/errors.js';
import { createMemoryHistoryStore } from './memoryHistoryStore.js';
import type { HistoryStore } from './historyStore.js';

export interface HistoryStoreOptions {
  /** Defaults to REDIS_URL. Without one, history lives in this process only. */
  redisUrl?: string | undefined;
  /** Key namespace in Redis (default `next-realtime:`). */
  prefix?: string;
}

/**
 * Redis Streams when REDIS_URL (or `redisUrl`) is set, memory otherwise. Synchronous (module top
 * level is fine); ioredis, an optional peer dependency, is imported on first use only.
 */
export function createHistoryStore(options: HistoryStoreOptions = {}): HistoryStore {
  const url = options.redisUrl ?? readProcessEnv().REDIS_URL;
  if (!url) return createMemoryHistoryStore();
  let loading: Promise<HistoryStore> | undefined;
  const load = (): Promise<HistoryStore> =>
    (loading ??= (async () => {
      let IORedis: typeof import('ioredis').Redis;
      try {
        IORedis = (await import('ioredis')).Redis;
      } catch (error) {
        loading = undefined;
        throw new RealtimeError('invalid_config', 'REDIS_URL is set, but the "ioredis" package is not installed (npm install ioredis)', { cause: error });
      }
      const { createRedisHistoryStore } = await import('./redisHistoryStore.js');
      // While Redis is unreachable a command fails after one reconnect attempt instead of waiting
      // in ioredis's offline queue: a publish to a history channel then rejects quickly
      // (provider_unavailable) and nothing is sent live. commandTimeout bounds a hung server.
      const client = new IORedis(url, { maxRetriesPerRequest: 1, commandTimeout: 2000 });
      client.on('error', () => undefined);
      return createRedisHistoryStore({ client, prefix: options.prefix, ownsClient: true });
    })());
  return {
    kind: 'redis',
    append: async (...args) => (await load()).append(...args),
    read: async (...args) => (await load()).read(...args),
    async close() {
      if (loading) await (await loading.catch(() => undefined))?.close();
    },
  };
}
