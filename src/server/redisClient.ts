import type { Redis, RedisOptions } from 'ioredis';
import { RealtimeError } from '../core/errors.js';

/**
 * A client for the Redis at `url`, for the stores that keep state across instances (state,
 * history). ioredis is an optional peer dependency: imported here, on the first use of a store
 * that has a Redis URL, and nowhere else.
 */
export async function createRedisClient(url: string, options: RedisOptions): Promise<Redis> {
  let IORedis: typeof import('ioredis').Redis;
  try {
    IORedis = (await import('ioredis')).Redis;
  } catch (error) {
    throw new RealtimeError('invalid_config', 'REDIS_URL is set, but the "ioredis" package is not installed (npm install ioredis)', { cause: error });
  }
  const client = new IORedis(url, options);
  // ioredis reports connection trouble as 'error' events; failures reach callers through the
  // rejected commands, so the events themselves only need a listener (no crash, no log spam).
  client.on('error', () => undefined);
  return client;
}
