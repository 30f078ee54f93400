import type { Redis } from 'ioredis';
import { RealtimeError } from '../../core/errors.js';
import {
  parseRef,
  refKey,
  type AdmitConnectionRequest,
  type ConnectionRecord,
  type KeyState,
  type RotationRecord,
  type StateStore,
} from './stateStore.js';

/**
 * The state store in Redis, shared by every Next.js instance. Each operation that reads and then
 * writes is one Lua script, so two instances admitting a user's 5th and 6th connection at the same
 * moment are serialised by Redis. Keys (all under `prefix`):
 *   conn:<userId>           hash socketId -> {"kid","since","seen"}; expires recordTtlMs after the last sign-in
 *   users                   set of user ids that have records
 *   keys                    hash signing -> kid, retired -> JSON array
 *   rot:active              id of the running rotation
 *   rot:latest              id of the most recently started rotation
 *   rot:<id>                JSON RotationRecord
 *   rot:<id>:pending|reauthed|closed|gone   sets of "socketId userId"
 *   rot:<id>:lock           one instance closes stale connections at a time
 * The scripts compute some key names themselves, so this store needs a single Redis (not Cluster).
 */

const ADMIT = `
local prefix, userId, socketId, kid = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local now, max, grace, ttl = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[9])
local hash = prefix .. 'conn:' .. userId
if ARGV[8] ~= '' then
  local live = {}
  for _, id in ipairs(cjson.decode(ARGV[8])) do live[id] = true end
  local all = redis.call('HGETALL', hash)
  for i = 1, #all, 2 do
    local record = cjson.decode(all[i + 1])
    if live[all[i]] then
      if not record.seen then
        record.seen = true
        redis.call('HSET', hash, all[i], cjson.encode(record))
      end
    elseif record.seen or (now - record.since) > grace then
      redis.call('HDEL', hash, all[i])
    end
  end
end
local existing = redis.call('HGET', hash, socketId)
local count = redis.call('HLEN', hash)
if not existing and count >= max then return {0, count} end
local record
if existing then record = cjson.decode(existing) else record = { since = now, seen = false } end
record.kid = kid
redis.call('HSET', hash, socketId, cjson.encode(record))
redis.call('PEXPIRE', hash, ttl)
redis.call('SADD', prefix .. 'users', userId)
local active = redis.call('GET', prefix .. 'rot:active')
if active then
  local rotation = cjson.decode(redis.call('GET', prefix .. 'rot:' .. active))
  local ref = socketId .. ' ' .. userId
  local base = prefix .. 'rot:' .. active
  if kid == rotation.toKid then
    if redis.call('SREM', base .. ':pending', ref) == 1 then redis.call('SADD', base .. ':reauthed', ref) end
  else
    for _, old in ipairs(rotation.fromKids) do
      if old == kid then
        redis.call('SREM', base .. ':reauthed', ref)
        redis.call('SADD', base .. ':pending', ref)
      end
    end
  end
end
return {1, redis.call('HLEN', hash)}
`;

const BEGIN = `
local prefix, id, json, toKid = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
if redis.call('SET', prefix .. 'rot:active', id, 'NX') == false then return 0 end
redis.call('SET', prefix .. 'rot:' .. id, json)
redis.call('SET', prefix .. 'rot:latest', id)
redis.call('HSET', prefix .. 'keys', 'signing', toKid)
return 1
`;

// Only connections whose record is still on an old key: one that re-authenticated between the
// caller's snapshot and this call stays out.
const ADD_PENDING = `
local prefix, id = ARGV[1], ARGV[2]
local base = prefix .. 'rot:' .. id
local json = redis.call('GET', base)
if not json then return 0 end
local old = {}
for _, kid in ipairs(cjson.decode(json).fromKids) do old[kid] = true end
for i = 3, #ARGV do
  local space = string.find(ARGV[i], ' ', 1, true)
  local record = redis.call('HGET', prefix .. 'conn:' .. string.sub(ARGV[i], space + 1), string.sub(ARGV[i], 1, space - 1))
  if record and old[cjson.decode(record).kid] and redis.call('SISMEMBER', base .. ':reauthed', ARGV[i]) == 0 then
    redis.call('SADD', base .. ':pending', ARGV[i])
  end
end
return 1
`;

const SETTLE = `
local base, closedCount = ARGV[1], tonumber(ARGV[2])
for i = 3, #ARGV do
  local target = (i - 2 <= closedCount) and ':closed' or ':gone'
  if redis.call('SREM', base .. ':pending', ARGV[i]) == 1 then redis.call('SADD', base .. target, ARGV[i]) end
end
return 1
`;

const COMPLETE = `
local prefix, id, completedAt, collateral = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local json = redis.call('GET', prefix .. 'rot:' .. id)
if not json then return 0 end
local rotation = cjson.decode(json)
rotation.phase = 'completed'
rotation.completedAt = completedAt
rotation.collateral = collateral
redis.call('SET', prefix .. 'rot:' .. id, cjson.encode(rotation))
local retired = redis.call('HGET', prefix .. 'keys', 'retired')
local list = retired and cjson.decode(retired) or {}
for _, kid in ipairs(rotation.fromKids) do
  local found = false
  for _, existing in ipairs(list) do if existing == kid then found = true end end
  if not found then table.insert(list, kid) end
end
redis.call('HSET', prefix .. 'keys', 'retired', cjson.encode(list))
if redis.call('GET', prefix .. 'rot:active') == id then redis.call('DEL', prefix .. 'rot:active') end
return 1
`;

const CLAIM = `
local prefix, id, ttl = ARGV[1], ARGV[2], ARGV[3]
local json = redis.call('GET', prefix .. 'rot:' .. id)
if not json then return 0 end
local rotation = cjson.decode(json)
if rotation.phase == 'completed' then return 0 end
if redis.call('SET', prefix .. 'rot:' .. id .. ':lock', '1', 'NX', 'PX', ttl) == false then return 0 end
rotation.phase = 'closing'
redis.call('SET', prefix .. 'rot:' .. id, cjson.encode(rotation))
return 1
`;

type Scripts = {
  [name in 'rtAdmit' | 'rtBegin' | 'rtAddPending' | 'rtSettle' | 'rtComplete' | 'rtClaim']: (...args: Array<string | number>) => Promise<unknown>;
};

export interface RedisStoreOptions {
  client: Redis;
  /** Namespace for every key; give each app (and each test) its own. */
  prefix?: string;
  /** Whether `close()` quits the client (true when the store created it). */
  ownsClient?: boolean;
}

export function createRedisStore(options: RedisStoreOptions): StateStore {
  const redis = options.client;
  const prefix = options.prefix ?? 'next-realtime:';
  const scripts = [
    ['rtAdmit', ADMIT],
    ['rtBegin', BEGIN],
    ['rtAddPending', ADD_PENDING],
    ['rtSettle', SETTLE],
    ['rtComplete', COMPLETE],
    ['rtClaim', CLAIM],
  ] as const;
  for (const [name, lua] of scripts) {
    if (!(name in redis)) redis.defineCommand(name, { numberOfKeys: 0, lua });
  }
  const run = redis as unknown as Scripts;
  const rotationBase = (id: string) => `${prefix}rot:${id}`;

  const parseRecords = (userId: string, hash: Record<string, string>): ConnectionRecord[] =>
    Object.entries(hash).map(([socketId, json]) => {
      const stored = JSON.parse(json) as { kid: string; since: number; seen: boolean };
      return { userId, socketId, kid: stored.kid, since: stored.since, seen: stored.seen === true };
    });

  const store: StateStore = {
    kind: 'redis',
    async admitConnection(request: AdmitConnectionRequest) {
      const [admitted, count] = (await run.rtAdmit(
        prefix,
        request.userId,
        request.socketId,
        request.kid,
        request.now,
        request.maxPerUser,
        request.joinGraceMs,
        request.liveSocketIds ? JSON.stringify(request.liveSocketIds) : '',
        request.recordTtlMs,
      )) as [number, number];
      return { admitted: admitted === 1, count };
    },
    async connections(userId) {
      return parseRecords(userId, await redis.hgetall(`${prefix}conn:${userId}`));
    },
    async allConnections() {
      const all: ConnectionRecord[] = [];
      let cursor = '0';
      do {
        const [next, userIds] = await redis.sscan(`${prefix}users`, cursor, 'COUNT', 500);
        cursor = next;
        const pipeline = redis.pipeline();
        for (const userId of userIds) pipeline.hgetall(`${prefix}conn:${userId}`);
        const results = (await pipeline.exec()) ?? [];
        const expired: string[] = [];
        userIds.forEach((userId, index) => {
          const hash = (results[index]?.[1] ?? {}) as Record<string, string>;
          if (Object.keys(hash).length === 0) expired.push(userId);
          else all.push(...parseRecords(userId, hash));
        });
        if (expired.length > 0) await redis.srem(`${prefix}users`, ...expired);
      } while (cursor !== '0');
      return all;
    },
    async removeConnections(userId, socketIds) {
      if (socketIds) {
        if (socketIds.length > 0) await redis.hdel(`${prefix}conn:${userId}`, ...socketIds);
        return;
      }
      await redis.del(`${prefix}conn:${userId}`);
    },
    async keyState(): Promise<KeyState> {
      const [signing, retired] = await redis.hmget(`${prefix}keys`, 'signing', 'retired');
      return { signingKid: signing ?? undefined, retiredKids: retired ? (JSON.parse(retired) as string[]) : [] };
    },
    async beginRotation(record) {
      return (await run.rtBegin(prefix, record.id, JSON.stringify(record), record.toKid)) === 1;
    },
    async activeRotation() {
      const id = await redis.get(`${prefix}rot:active`);
      return id ? this.rotation(id) : undefined;
    },
    async latestRotation() {
      const id = await redis.get(`${prefix}rot:latest`);
      return id ? this.rotation(id) : undefined;
    },
    async rotation(id) {
      const json = await redis.get(rotationBase(id));
      return json ? (JSON.parse(json) as RotationRecord) : undefined;
    },
    async addPending(rotationId, refs) {
      for (let i = 0; i < refs.length; i += 500) {
        await run.rtAddPending(prefix, rotationId, ...refs.slice(i, i + 500).map(refKey));
      }
    },
    async pending(rotationId) {
      return (await redis.smembers(`${rotationBase(rotationId)}:pending`)).map(parseRef);
    },
    async settle(rotationId, closed, gone) {
      if (closed.length + gone.length === 0) return;
      await run.rtSettle(rotationBase(rotationId), closed.length, ...closed.map(refKey), ...gone.map(refKey));
    },
    async counts(rotationId) {
      const base = rotationBase(rotationId);
      const [pending, reauthenticated, closed, gone] = await Promise.all([
        redis.scard(`${base}:pending`),
        redis.scard(`${base}:reauthed`),
        redis.scard(`${base}:closed`),
        redis.scard(`${base}:gone`),
      ]);
      return { pending, reauthenticated, closed, gone };
    },
    async claimClosing(rotationId, ttlMs) {
      return (await run.rtClaim(prefix, rotationId, ttlMs)) === 1;
    },
    async releaseClosing(rotationId) {
      await redis.del(`${rotationBase(rotationId)}:lock`);
    },
    async completeRotation(rotationId, completedAt, collateral) {
      await run.rtComplete(prefix, rotationId, completedAt, collateral);
    },
    async close() {
      if (options.ownsClient) await redis.quit().catch(() => redis.disconnect());
    },
  };
  return withUnavailableErrors(store);
}

/**
 * Redis down (refused, reset, timed out, retries exhausted) becomes one typed, retryable error:
 * RealtimeError('provider_unavailable'), which the route handlers answer with 503 and clients
 * retry with backoff. Everything that needs the store fails closed; see docs/live-connections.md.
 */
function withUnavailableErrors(store: StateStore): StateStore {
  const wrapped = { ...store };
  for (const name of Object.keys(store) as Array<keyof StateStore>) {
    const method = store[name];
    if (typeof method !== 'function' || name === 'close') continue;
    (wrapped as Record<string, unknown>)[name] = async (...args: unknown[]) => {
      try {
        return await (method as (...inner: unknown[]) => Promise<unknown>).apply(store, args);
      } catch (error) {
        if (error instanceof RealtimeError) throw error;
        throw new RealtimeError('provider_unavailable', `the state store (Redis) is unavailable: ${error instanceof Error ? error.message : String(error)}`, {
          retryable: true,
          cause: error,
        });
      }
    };
  }
  return wrapped;
}
