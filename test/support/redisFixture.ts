import { Redis } from 'ioredis';
import { createRedisStore } from '../../src/server/state/redisStore.js';
import type { StateStore } from '../../src/server/state/stateStore.js';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A key prefix no other test (or run) uses, and a way to open stores under it and clean up. */
export function redisNamespace(label: string) {
  const prefix = `test:${label}:${process.pid}:${Date.now().toString(36)}:${Math.random().toString(36).slice(2, 8)}:`;
  const clients: Redis[] = [];
  return {
    prefix,
    /** A store with its own connection, like a second Next.js instance would have. */
    store(): StateStore {
      const client = new Redis(REDIS_URL, { maxRetriesPerRequest: 2 });
      clients.push(client);
      return createRedisStore({ client, prefix });
    },
    async cleanup() {
      const admin = new Redis(REDIS_URL);
      let cursor = '0';
      do {
        const [next, keys] = await admin.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) await admin.del(...keys);
      } while (cursor !== '0');
      await admin.quit();
      await Promise.all(clients.map((client) => client.quit()));
    },
  };
}
