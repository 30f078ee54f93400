import { RealtimeError } from '../../core/errors.js';
import { redactSecrets } from '../../core/redaction.js';
import { connectionChannelName, REAUTH_REQUIRED_EVENT, SYSTEM_CHANNEL, type ReauthRequired } from '../../core/systemEvents.js';
import type { Realtime } from '../realtime.js';
import type { ConnectionRecord, ConnectionRef, RotationCounts, RotationRecord, StateStore } from '../state/stateStore.js';
import type { RotatingKeyring } from './rotatingKeyring.js';

export interface RotationStatus extends RotationCounts {
  id: string;
  phase: RotationRecord['phase'];
  toKid: string;
  fromKids: string[];
  startedAt: number;
  deadline: number;
  completedAt?: number | undefined;
  /** Re-authenticated connections closed anyway because their user also kept a stale one open. */
  collateral: number;
}

export interface StartRotationOptions {
  /** The key that signs from now on; default: the first key of the configured keyring. */
  toKid?: string;
  /** Milliseconds clients get to re-authenticate (default 60 s). */
  graceMs?: number;
}

export interface SecretRotation {
  /**
   * (a) makes `toKid` sign on every instance while the old keys still verify, records every live
   * connection on an old key as pending, (b) broadcasts `reauth_required` with the deadline, and
   * schedules `enforceDeadline()` on this instance at the deadline.
   */
  start(options?: StartRotationOptions): Promise<RotationStatus>;
  /** Broadcasts `reauth_required` again for the running rotation (if start() could not). */
  announce(): Promise<RotationStatus>;
  /** The given rotation, else the most recent one (running or completed); undefined if none. */
  status(rotationId?: string): Promise<RotationStatus | undefined>;
  /**
   * (d) once the deadline passed: closes connections still on an old key, then (e) retires the old
   * keys. Safe to call from every instance and repeatedly (one wins; the others return the status):
   * call it from a cron job where timers cannot be trusted (serverless).
   */
  enforceDeadline(): Promise<RotationStatus | undefined>;
  /** Clears this instance's deadline timer. */
  dispose(): void;
}

export interface SecretRotationOptions {
  realtime: Realtime;
  store: StateStore;
  keyring: RotatingKeyring;
  /** How long a new connection may take to join its connection channel (as in the guard). */
  joinGraceMs?: number;
  /** Parallel provider requests while closing (default 16). */
  concurrency?: number;
  /**
   * Wait between making the new key sign and announcing the rotation, so every instance's keyring
   * (refreshed every `refreshMs`, default 1 s) signs with the new key before clients re-authenticate.
   * Default 1,200 ms.
   */
  propagationMs?: number;
  /** When closing at the deadline fails (provider down), this instance tries again after this long. Default 5 s. */
  retryMs?: number;
}

/**
 * Secret rotation with live connections. A connection is "re-authenticated" when it signs in again
 * (or is issued a token for its socket) with the new key; the guard's hooks tell the store.
 *
 * Closing at the deadline happens per user, because the Pusher protocol can only close all of a
 * user's connections at once (`terminate_connections`). Decision for a user with both kinds:
 * - only stale connections: the user is terminated (without asking who is live: a dead user costs
 *   one no-op request, and a client that never joined its connection channel is still closed);
 * - a live re-authenticated connection too: the provider's connection channel is asked which
 *   stale ones are still live; if none, nothing is closed (the stale records were closed tabs);
 *   if one is (or the channel cannot tell, because the user's clients never joined it), security
 *   wins: the user is terminated, re-authenticated connections included, and they are counted as
 *   `collateral` (the client reconnects with its fresh credentials).
 */
export function createSecretRotation(options: SecretRotationOptions): SecretRotation {
  const { realtime, store, keyring } = options;
  const joinGraceMs = options.joinGraceMs ?? 10_000;
  const concurrency = options.concurrency ?? 16;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const describe = async (record: RotationRecord): Promise<RotationStatus> => ({
    id: record.id,
    phase: record.phase,
    toKid: record.toKid,
    fromKids: record.fromKids,
    startedAt: record.startedAt,
    deadline: record.deadline,
    completedAt: record.completedAt,
    collateral: record.collateral ?? 0,
    ...(await store.counts(record.id)),
  });

  const retryMs = options.retryMs ?? 5000;
  const schedule = (at: number) => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      enforceDeadline().catch((error: unknown) => {
        // Nothing awaits a timer: report, and try again (the old key stays valid meanwhile).
        const reason = redactSecrets(error instanceof Error ? error.message : String(error));
        console.error(`[next-realtime] closing stale connections after the rotation deadline failed; retrying in ${retryMs} ms: ${reason}`);
        schedule(Date.now() + retryMs);
      });
    }, Math.max(0, at - Date.now()));
    timer.unref?.();
  };

  const announce = async (record: RotationRecord) => {
    const notice: ReauthRequired = { rotationId: record.id, deadline: record.deadline };
    // The `realtime:` prefix is reserved for the library, so this goes to the provider directly.
    const provider = await realtime.getProvider();
    let lastError: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await provider.publish({ channels: [SYSTEM_CHANNEL], event: REAUTH_REQUIRED_EVENT, data: notice, json: JSON.stringify(notice) });
        return;
      } catch (error) {
        lastError = error;
        await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** attempt));
      }
    }
    throw new RealtimeError(
      'provider_unavailable',
      `rotation ${record.id} is running, but reauth_required could not be broadcast; call rotation.announce() before the deadline`,
      { cause: lastError, retryable: true },
    );
  };

  async function closeUser(rotation: RotationRecord, userId: string, pendingOfUser: ConnectionRef[]) {
    const records = await store.connections(userId);
    const now = Date.now();
    const reauthed = records.filter((record) => record.kid === rotation.toKid);
    let live: Set<string> | undefined;
    const provider = await realtime.getProvider();
    if (provider.presenceMemberIds) live = new Set(await provider.presenceMemberIds(await connectionChannelName(userId)));
    // An empty list proves nothing when none of this user's connections was ever seen on the
    // channel (a client that does not join it): then every record may be live.
    if (live && live.size === 0 && !records.some((record) => record.seen)) live = undefined;
    const mayBeLive = (socketId: string, record: ConnectionRecord | undefined) =>
      !live || live.has(socketId) || (record !== undefined && !record.seen && now - record.since <= joinGraceMs);
    const bySocket = new Map(records.map((record) => [record.socketId, record]));
    const liveStale = pendingOfUser.filter((ref) => mayBeLive(ref.socketId, bySocket.get(ref.socketId)));
    const deadStale = pendingOfUser.filter((ref) => !liveStale.includes(ref));
    const liveReauthed = reauthed.filter((record) => mayBeLive(record.socketId, record));

    if (liveReauthed.length > 0 && liveStale.length === 0) {
      await store.removeConnections(userId, deadStale.map((ref) => ref.socketId));
      return { closed: [], gone: deadStale, collateral: 0 };
    }
    await provider.terminateUserConnections(userId, {
      reason: 'reauth_deadline_passed',
      rotationId: rotation.id,
      message: 'the server rotated its keys and this connection did not re-authenticate before the deadline',
    });
    await store.removeConnections(userId);
    // Without live re-authenticated connections, a stale one the provider does not list was closed
    // already; it is counted as gone, not closed.
    return { closed: liveStale, gone: deadStale, collateral: liveReauthed.length };
  }

  async function enforceDeadline(): Promise<RotationStatus | undefined> {
    const rotation = await store.activeRotation();
    if (!rotation) return undefined;
    if (Date.now() < rotation.deadline) return describe(rotation);
    if (!(await store.claimClosing(rotation.id, 60_000))) return describe((await store.rotation(rotation.id)) ?? rotation);

    const pending = await store.pending(rotation.id);
    const byUser = new Map<string, ConnectionRef[]>();
    for (const ref of pending) {
      const list = byUser.get(ref.userId) ?? [];
      list.push(ref);
      byUser.set(ref.userId, list);
    }
    let collateral = 0;
    const users = [...byUser.entries()];
    let next = 0;
    const failures: unknown[] = [];
    const worker = async () => {
      while (next < users.length) {
        const [userId, refs] = users[next++]!;
        try {
          const result = await closeUser(rotation, userId, refs);
          collateral += result.collateral;
          await store.settle(rotation.id, result.closed, result.gone);
        } catch (error) {
          failures.push(error);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, users.length) }, worker));
    if (failures.length > 0) {
      await store.releaseClosing(rotation.id);
      // The old keys stay valid: retiring them while stale connections may still be open would
      // leave those connections unclosable by this rotation. The next call retries what is left.
      throw new RealtimeError('provider_unavailable', `could not close the connections of ${failures.length} users; retry enforceDeadline()`, {
        cause: failures[0],
        retryable: true,
      });
    }
    await store.completeRotation(rotation.id, Date.now(), collateral);
    await keyring.refresh();
    return describe((await store.rotation(rotation.id))!);
  }

  return {
    async start(startOptions = {}) {
      await keyring.refresh();
      const configured = keyring.configured;
      const toKid = startOptions.toKid ?? configured.current.kid;
      if (!configured.find(toKid)) throw new RealtimeError('invalid_config', `key ${JSON.stringify(toKid)} is not in REALTIME_TOKEN_SECRETS`);
      const fromKids = keyring.entries.map((entry) => entry.kid).filter((kid) => kid !== toKid);
      if (fromKids.length === 0) {
        throw new RealtimeError('invalid_config', `nothing to rotate: ${JSON.stringify(toKid)} is the only key that still verifies`);
      }
      const graceMs = startOptions.graceMs ?? 60_000;
      if (!Number.isFinite(graceMs) || graceMs < 0) throw new RealtimeError('invalid_config', 'graceMs must be a non-negative number');
      const startedAt = Date.now();
      const propagationMs = options.propagationMs ?? 1200;
      const record: RotationRecord = {
        id: `rot-${startedAt.toString(36)}-${crypto.randomUUID().slice(0, 8)}`,
        toKid,
        fromKids,
        startedAt,
        // Clients get the whole grace period after the announcement.
        deadline: startedAt + propagationMs + graceMs,
        phase: 'announced',
      };
      if (!(await store.beginRotation(record))) {
        throw new RealtimeError('invalid_config', 'a rotation is already running; wait for it to complete (see status())');
      }
      // From here on the new key signs everywhere (other instances within their refresh interval);
      // sign-ins on an old key are added to pending by the store itself.
      await keyring.refresh();
      await new Promise((resolve) => setTimeout(resolve, propagationMs));
      const stale = (await store.allConnections()).filter((connection) => fromKids.includes(connection.kid));
      await store.addPending(record.id, stale);

      schedule(record.deadline);
      await announce(record);
      return describe(record);
    },
    async announce() {
      const record = await store.activeRotation();
      if (!record) throw new RealtimeError('invalid_config', 'no rotation is running');
      await announce(record);
      return describe(record);
    },
    async status(rotationId) {
      const record = rotationId ? await store.rotation(rotationId) : await store.latestRotation();
      return record ? describe(record) : undefined;
    },
    enforceDeadline,
    dispose() {
      clearTimeout(timer);
    },
  };
}
