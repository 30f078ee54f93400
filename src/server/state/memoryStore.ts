import {
  refKey,
  parseRef,
  type AdmitConnectionRequest,
  type AdmitConnectionResult,
  type ConnectionRecord,
  type KeyState,
  type RotationCounts,
  type RotationRecord,
  type StateStore,
} from './stateStore.js';

interface RotationSets {
  record: RotationRecord;
  pending: Set<string>;
  reauthed: Set<string>;
  closed: Set<string>;
  gone: Set<string>;
  closingUntil: number;
}

/**
 * State in this process only: right for one server, or for tests. Several Next.js instances need
 * the Redis store (REDIS_URL), or each one would count connections and run rotations on its own.
 * Same semantics as redisStore.ts, step for step.
 */
export function createMemoryStore(): StateStore {
  const connectionsByUser = new Map<string, { expiresAt: number; records: Map<string, ConnectionRecord> }>();
  const keys: KeyState = { retiredKids: [] };
  const rotations = new Map<string, RotationSets>();
  let activeId: string | undefined;
  let latestId: string | undefined;

  const userRecords = (userId: string, now = Date.now()) => {
    const entry = connectionsByUser.get(userId);
    if (entry && entry.expiresAt <= now) {
      connectionsByUser.delete(userId);
      return undefined;
    }
    return entry;
  };

  return {
    kind: 'memory',
    async admitConnection(request: AdmitConnectionRequest): Promise<AdmitConnectionResult> {
      const { userId, socketId, now } = request;
      let entry = userRecords(userId);
      if (!entry) {
        entry = { expiresAt: 0, records: new Map() };
        connectionsByUser.set(userId, entry);
      }
      const records = entry.records;
      if (request.liveSocketIds) {
        const live = new Set(request.liveSocketIds);
        for (const [id, record] of records) {
          if (live.has(id)) record.seen = true;
          else if (record.seen || now - record.since > request.joinGraceMs) records.delete(id);
        }
      }
      const existing = records.get(socketId);
      if (!existing && records.size >= request.maxPerUser) {
        if (records.size === 0) connectionsByUser.delete(userId);
        return { admitted: false, count: records.size };
      }
      const record: ConnectionRecord = existing ?? { userId, socketId, kid: request.kid, since: now, seen: false };
      record.kid = request.kid;
      records.set(socketId, record);
      // Expiry runs on the real clock, as Redis's PEXPIRE does.
      entry.expiresAt = Date.now() + request.recordTtlMs;

      const active = activeId ? rotations.get(activeId) : undefined;
      if (active) {
        const ref = refKey({ userId, socketId });
        if (record.kid === active.record.toKid) {
          if (active.pending.delete(ref)) active.reauthed.add(ref);
        } else if (active.record.fromKids.includes(record.kid)) {
          active.reauthed.delete(ref);
          active.pending.add(ref);
        }
      }
      return { admitted: true, count: records.size };
    },
    async connections(userId) {
      return [...(userRecords(userId)?.records.values() ?? [])].map((record) => ({ ...record }));
    },
    async allConnections() {
      const now = Date.now();
      const all: ConnectionRecord[] = [];
      for (const userId of [...connectionsByUser.keys()]) {
        for (const record of userRecords(userId, now)?.records.values() ?? []) all.push({ ...record });
      }
      return all;
    },
    async removeConnections(userId, socketIds) {
      const entry = connectionsByUser.get(userId);
      if (!entry) return;
      if (socketIds) for (const id of socketIds) entry.records.delete(id);
      if (!socketIds || entry.records.size === 0) connectionsByUser.delete(userId);
    },
    async keyState() {
      return { signingKid: keys.signingKid, retiredKids: [...keys.retiredKids] };
    },
    async beginRotation(record) {
      if (activeId) return false;
      activeId = record.id;
      latestId = record.id;
      keys.signingKid = record.toKid;
      rotations.set(record.id, {
        record: { ...record },
        pending: new Set(),
        reauthed: new Set(),
        closed: new Set(),
        gone: new Set(),
        closingUntil: 0,
      });
      return true;
    },
    async activeRotation() {
      return activeId ? { ...rotations.get(activeId)!.record } : undefined;
    },
    async latestRotation() {
      return latestId ? { ...rotations.get(latestId)!.record } : undefined;
    },
    async rotation(id) {
      const found = rotations.get(id);
      return found ? { ...found.record } : undefined;
    },
    async addPending(rotationId, refs) {
      const sets = rotations.get(rotationId);
      if (!sets) return;
      for (const ref of refs) {
        const key = refKey(ref);
        const record = userRecords(ref.userId)?.records.get(ref.socketId);
        if (record && sets.record.fromKids.includes(record.kid) && !sets.reauthed.has(key)) sets.pending.add(key);
      }
    },
    async pending(rotationId) {
      return [...(rotations.get(rotationId)?.pending ?? [])].map(parseRef);
    },
    async settle(rotationId, closed, gone) {
      const sets = rotations.get(rotationId);
      if (!sets) return;
      for (const ref of closed) {
        if (sets.pending.delete(refKey(ref))) sets.closed.add(refKey(ref));
      }
      for (const ref of gone) {
        if (sets.pending.delete(refKey(ref))) sets.gone.add(refKey(ref));
      }
    },
    async counts(rotationId): Promise<RotationCounts> {
      const sets = rotations.get(rotationId);
      return {
        pending: sets?.pending.size ?? 0,
        reauthenticated: sets?.reauthed.size ?? 0,
        closed: sets?.closed.size ?? 0,
        gone: sets?.gone.size ?? 0,
      };
    },
    async claimClosing(rotationId, ttlMs) {
      const sets = rotations.get(rotationId);
      if (!sets || sets.record.phase === 'completed') return false;
      const now = Date.now();
      if (sets.closingUntil > now) return false;
      sets.closingUntil = now + ttlMs;
      sets.record.phase = 'closing';
      return true;
    },
    async releaseClosing(rotationId) {
      const sets = rotations.get(rotationId);
      if (sets) sets.closingUntil = 0;
    },
    async completeRotation(rotationId, completedAt, collateral) {
      const sets = rotations.get(rotationId);
      if (!sets) return;
      sets.record = { ...sets.record, phase: 'completed', completedAt, collateral };
      for (const kid of sets.record.fromKids) if (!keys.retiredKids.includes(kid)) keys.retiredKids.push(kid);
      if (activeId === rotationId) activeId = undefined;
    },
    async close() {},
  };
}
