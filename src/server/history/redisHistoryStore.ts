import type { Redis } from 'ioredis';
import { RealtimeError } from '../../core/errors.js';
import { pageFrom, type HistoryStore, type StoredEntry } from './historyStore.js';

/**
 * History in Redis Streams, shared by every Next.js instance (and readable next to a Soketi
 * cluster that uses the same Redis). Per channel, under `prefix` (default `next-realtime:`):
 *   h:{<channel>}:s         the stream; entry id `<seq>-0`, fields i(d) e(vent) d(ata JSON)
 *                           s(ocket id) t(ime, ms); trimmed to maxEvents on every append and
 *                           expiring maxAge after the last append
 *   h:{<channel>}:n         the channel's last seq (INCR): never expires, so positions never repeat
 *   h:{<channel>}:i:<id>    seq of an id already stored (a retried append), kept for maxAge
 * The `{<channel>}` hash tag keeps a channel's keys in one Redis Cluster slot, so each script
 * touches one slot. Time comes from Redis (TIME), one clock for every instance.
 */

// Appends atomically: a second instance appending to the same channel is ordered by Redis, and
// the seq it gets is the stream's next entry, with no hole.
const APPEND = `
local existing = redis.call('GET', KEYS[3])
if existing then return {tonumber(existing), 1} end
local seq = redis.call('INCR', KEYS[2])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
redis.call('XADD', KEYS[1], 'MAXLEN', ARGV[5], seq .. '-0', 'i', ARGV[1], 'e', ARGV[2], 'd', ARGV[3], 's', ARGV[4], 't', now)
redis.call('PEXPIRE', KEYS[1], ARGV[6])
redis.call('SET', KEYS[3], seq, 'PX', ARGV[6])
return {seq, 0}
`;

// One consistent view: the head and the entries of the same moment, with Redis's clock.
const READ = `
local head = tonumber(redis.call('GET', KEYS[2]) or '0')
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local entries = {}
if ARGV[1] == '' and ARGV[2] == '0' then
  entries = {}
elseif ARGV[1] == '' then
  entries = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', ARGV[2])
else
  entries = redis.call('XRANGE', KEYS[1], (tonumber(ARGV[1]) + 1) .. '-0', '+', 'COUNT', tonumber(ARGV[2]) + 1)
end
return {head, now, entries}
`;

export interface RedisHistoryStoreOptions {
  client: Redis;
  prefix?: string | undefined;
  /** Quit the client on close() (true when the store opened it). */
  ownsClient?: boolean;
}

type RawEntry = [id: string, fields: string[]];

function parseEntry(raw: RawEntry): StoredEntry {
  const fields: Record<string, string> = {};
  for (let index = 0; index + 1 < raw[1].length; index += 2) fields[raw[1][index]!] = raw[1][index + 1]!;
  return {
    seq: Number(raw[0].slice(0, raw[0].indexOf('-'))),
    id: fields.i ?? '',
    event: fields.e ?? '',
    json: fields.d ?? 'null',
    socketId: fields.s ?? '',
    publishedAt: Number(fields.t ?? 0),
  };
}

/** A Redis failure as the library reports it: retryable, nothing stored. */
function unavailable(operation: string, error: unknown): RealtimeError {
  return new RealtimeError('provider_unavailable', `history store (Redis) ${operation} failed: ${(error as Error)?.message ?? error}`, {
    retryable: true,
    cause: error,
  });
}

export function createRedisHistoryStore(options: RedisHistoryStoreOptions): HistoryStore {
  const { client } = options;
  const prefix = options.prefix ?? 'next-realtime:';
  const keys = (channel: string) => {
    const base = `${prefix}h:{${channel}}:`;
    return { stream: `${base}s`, head: `${base}n`, id: (id: string) => `${base}i:${id}` };
  };
  const redis = client as Redis & {
    historyAppend(stream: string, head: string, idKey: string, ...args: string[]): Promise<[number, number]>;
    historyRead(stream: string, head: string, after: string, limit: string): Promise<[number, number, RawEntry[]]>;
  };
  if (typeof redis.historyAppend !== 'function') {
    client.defineCommand('historyAppend', { numberOfKeys: 3, lua: APPEND });
    client.defineCommand('historyRead', { numberOfKeys: 2, lua: READ });
  }
  return {
    kind: 'redis',
    async append(channel, request, bounds) {
      const key = keys(channel);
      let result: [number, number];
      try {
        result = await redis.historyAppend(
          key.stream,
          key.head,
          key.id(request.id),
          request.id,
          request.event,
          request.json,
          request.socketId ?? '',
          String(bounds.maxEvents),
          String(bounds.maxAgeMs),
        );
      } catch (error) {
        throw unavailable('append', error);
      }
      return { seq: Number(result[0]), duplicate: Number(result[1]) === 1 };
    },
    async read(channel, request, bounds) {
      const key = keys(channel);
      let result: [number, number, RawEntry[]];
      try {
        result = await redis.historyRead(key.stream, key.head, request.after === undefined ? '' : String(request.after), String(request.limit));
      } catch (error) {
        throw unavailable('read', error);
      }
      const entries = result[2].map(parseEntry);
      if (request.after === undefined) entries.reverse();
      return pageFrom(entries, Number(result[0]), Number(result[1]), request, bounds);
    },
    async close() {
      if (options.ownsClient) await client.quit().catch(() => client.disconnect());
    },
  };
}
