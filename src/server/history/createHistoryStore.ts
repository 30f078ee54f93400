import { readProcessEnv } from '../../core/env.js';
import { createRedisClient } from '../redisClient.js';
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
      let client: Awaited<ReturnType<typeof createRedisClient>>;
      try {
        // While Redis is unreachable a command fails after one reconnect attempt instead of waiting
        // in ioredis's offline queue: a publish to a history channel then rejects quickly
        // (provider_unavailable) and nothing is sent live. commandTimeout bounds a hung server.
        client = await createRedisClient(url, { maxRetriesPerRequest: 1, commandTimeout: 2000 });
      } catch (error) {
        // Not kept: the next use tries again.
        loading = undefined;
        throw error;
      }
      const { createRedisHistoryStore } = await import('./redisHistoryStore.js');
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
