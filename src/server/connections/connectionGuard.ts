import { readProcessEnv } from '../../core/env.js';
import { isRealtimeError, RealtimeError } from '../../core/errors.js';
import type { Keyring } from '../../core/keyring.js';
import type { ChannelAuthorization, PresenceMember } from '../../core/provider.js';
import { CONNECTION_CHANNEL_PREFIX, connectionChannelName } from '../../core/systemEvents.js';
import { assertUserId } from '../../core/users.js';
import type { Realtime } from '../realtime.js';
import type { ConnectionRecord, StateStore } from '../state/stateStore.js';

export const DEFAULT_MAX_CONNECTIONS_PER_USER = 5;

/** The user as the route handlers know it; only `id` matters here (numbers count as strings). */
export interface GuardUser {
  id: string | number;
}

/** `hooks.onUserAuthenticate`: a connection signs in (Pusher `pusher:signin` via /user-auth). */
export interface UserAuthenticateEvent {
  user: GuardUser;
  /** `user.id` as a string (the route handlers pass it). */
  userId?: string | undefined;
  socketId: string;
  request?: Request | undefined;
  /**
   * The key that verified the request's bearer token (the route handlers pass it only after
   * verifying the token). Without it the sign-in counts as made with the key that signs now.
   */
  kid?: string | undefined;
}

/** `hooks.onTokenIssued`: a token was issued (for a connection, when `socketId` is given). */
export interface TokenIssuedEvent {
  user: GuardUser;
  userId?: string | undefined;
  kid: string;
  expiresAt: number;
  socketId?: string | undefined;
}

/** The shapes of createRealtimeHandlers' `hooks` option: pass `guard.hooks` there. */
export interface ConnectionGuardHooks {
  /** Throws RealtimeError 'too_many_connections' when the user is at the limit. */
  onUserAuthenticate(event: UserAuthenticateEvent): Promise<void>;
  onTokenIssued(event: TokenIssuedEvent): Promise<void>;
  /** Authorizes the user's own connection channel (member id = socket id); undefined for others. */
  onChannelAuthorize(event: { user: GuardUser; userId?: string | undefined; socketId: string; channel: string }): Promise<{ member: PresenceMember } | undefined>;
}

export interface ConnectionGuardOptions {
  realtime: Realtime;
  store: StateStore;
  /** Default: REALTIME_MAX_CONNECTIONS_PER_USER, else 5. */
  maxPerUser?: number;
  /**
   * The token keyring (a rotating one during rotations): a sign-in whose request carries no
   * bearer token is recorded under the key that signs right now.
   */
  keyring?: Keyring;
  /** How long a new connection may take to join its connection channel before it counts as gone. */
  joinGraceMs?: number;
  /** Backstop expiry of a user's records after their last sign-in. */
  recordTtlMs?: number;
  /**
   * What a sign-in gets while the state store (Redis) cannot be reached. `'refuse'` (default):
   * 503 `provider_unavailable`, so the limit is never exceeded. `'admit'`: the sign-in goes
   * through unrecorded and a line is logged, so an outage never locks users out; such a
   * connection holds no slot, so until it closes its user may exceed the limit by it.
   */
  storeUnavailable?: 'refuse' | 'admit';
  /** Where an admitted-unrecorded sign-in is reported. Default console.error. */
  log?: (message: string) => void;
}

export interface ConnectionGuard {
  readonly hooks: ConnectionGuardHooks;
  readonly maxPerUser: number;
  /**
   * Signs the user's own connection channel (presence, member id = socket id) for /auth, and
   * refuses anyone else's. Undefined for every other channel: the app's policy decides those.
   */
  authorizeConnectionChannel(request: { user: GuardUser; userId?: string | undefined; socketId: string; channel: string }): Promise<ChannelAuthorization | undefined>;
  /** The user's recorded connections, stale ones removed by asking the provider who is live. */
  liveConnections(userId: string): Promise<ConnectionRecord[]>;
  /** Logout: closes every live connection of the user and frees the user's slots. */
  terminateUser(userId: string): Promise<void>;
  /** Stops listening to the realtime instance. */
  dispose(): void;
}

/**
 * Per-user connection limit, shared by every instance through the state store.
 *
 * Slots are recorded when a connection signs in (one record per socket id). A closed, crashed or
 * forgotten connection must not keep its slot, and nothing tells the server when a socket closes,
 * so liveness comes from the provider itself: every signed-in connection joins its user's
 * presence channel (core/systemEvents.ts `connectionChannelName`) with its socket id as member
 * id, and when a user is at the limit the guard asks the provider for that channel's members and
 * drops the records of sockets that are no longer there. The provider closes presence membership
 * with the socket, so slots free themselves after disconnects, crashes and restarts of either side.
 */
export function createConnectionGuard(options: ConnectionGuardOptions): ConnectionGuard {
  const { realtime, store } = options;
  const maxPerUser = options.maxPerUser ?? maxFromEnv();
  if (!Number.isInteger(maxPerUser) || maxPerUser < 1) {
    throw new RealtimeError('invalid_config', `maxPerUser must be a positive integer, got ${maxPerUser}`);
  }
  const joinGraceMs = options.joinGraceMs ?? 10_000;
  const storeUnavailable = options.storeUnavailable ?? 'refuse';
  if (storeUnavailable !== 'refuse' && storeUnavailable !== 'admit') {
    throw new RealtimeError('invalid_config', `storeUnavailable must be 'refuse' or 'admit', got ${JSON.stringify(storeUnavailable)}`);
  }
  const log = options.log ?? ((message: string) => console.error(message));
  const recordTtlMs = options.recordTtlMs ?? 24 * 60 * 60 * 1000;

  const liveSocketIds = async (userId: string): Promise<string[] | undefined> => {
    const provider = await realtime.getProvider();
    if (!provider.presenceMemberIds) return undefined;
    return provider.presenceMemberIds(await connectionChannelName(userId));
  };

  const admit = async (userId: string, socketId: string, kid: string): Promise<void> => {
    assertUserId(userId);
    if (typeof socketId !== 'string' || !realtime.limits.socketIdPattern.test(socketId)) {
      throw new RealtimeError('invalid_socket_id', `socket id ${JSON.stringify(socketId)} is not valid for ${realtime.provider}`);
    }
    const request = { userId, socketId, kid, maxPerUser, joinGraceMs, recordTtlMs };
    /** The store's answer; with `storeUnavailable: 'admit'`, an unreachable store admits, unrecorded. */
    const ask = async (liveSocketIds?: string[]) => {
      try {
        return await store.admitConnection({ ...request, now: Date.now(), ...(liveSocketIds ? { liveSocketIds } : {}) });
      } catch (error) {
        if (storeUnavailable !== 'admit' || !isRealtimeError(error, 'provider_unavailable')) throw error;
        log(`next-realtime: connection limit not enforced for this sign-in (storeUnavailable: 'admit'): ${error.message}`);
        return { admitted: true as const, count: 0 };
      }
    };
    let result = await ask();
    if (!result.admitted) {
      // At the limit: some records may belong to closed sockets. Ask the provider, then retry.
      const live = await liveSocketIds(userId);
      if (live) result = await ask(live);
    }
    if (!result.admitted) {
      throw new RealtimeError(
        'too_many_connections',
        `this user already has ${result.count} open connections; the limit is ${maxPerUser}. Close a tab or window and try again.`,
        { details: { limit: maxPerUser, count: result.count } },
      );
    }
  };

  const idOf = (event: { user: GuardUser; userId?: string | undefined }): string => event.userId ?? String(event.user.id);

  // Only a verified claim counts: nothing here reads a token header.
  const kidOf = (event: UserAuthenticateEvent): string => event.kid || (options.keyring?.current.kid ?? 'default');

  const stopListening = realtime.onUserTerminated?.((userId) => store.removeConnections(userId)) ?? (() => undefined);

  const hooks: ConnectionGuardHooks = {
    onUserAuthenticate: (event) => admit(idOf(event), event.socketId, kidOf(event)),
    async onTokenIssued(event) {
      // Where the token is the connection's credential (Ably: in-place re-auth), a token issued
      // for a connection is its sign-in with that key. On the Pusher protocol the sign-in is
      // (onUserAuthenticate, also when the token request brings it along).
      if (event.socketId && realtime.auth.kind === 'tokens') await admit(idOf(event), event.socketId, event.kid);
    },
    async onChannelAuthorize(event) {
      if (!event.channel.startsWith(CONNECTION_CHANNEL_PREFIX)) return undefined;
      if (event.channel !== (await connectionChannelName(idOf(event)))) {
        throw new RealtimeError('forbidden', 'a connection channel can only be joined by its own user');
      }
      return { member: { id: event.socketId } };
    },
  };

  return {
    maxPerUser,
    hooks,
    async authorizeConnectionChannel(request) {
      const decision = await hooks.onChannelAuthorize(request);
      if (!decision) return undefined;
      const auth = realtime.auth;
      if (auth.kind !== 'signatures') return undefined;
      return auth.authorizeChannel(request.socketId, request.channel, decision.member);
    },
    async liveConnections(userId) {
      assertUserId(userId);
      const live = await liveSocketIds(userId);
      const records = await store.connections(userId);
      if (!live) return records;
      const alive = new Set(live);
      const now = Date.now();
      const stale = records.filter((record) => !alive.has(record.socketId) && (record.seen || now - record.since > joinGraceMs));
      if (stale.length > 0) await store.removeConnections(userId, stale.map((record) => record.socketId));
      return records.filter((record) => !stale.includes(record));
    },
    async terminateUser(userId) {
      await realtime.terminateUser(userId);
      // Also here, in case `realtime` is a wrapper without onUserTerminated.
      await store.removeConnections(userId);
    },
    dispose: stopListening,
  };
}

function maxFromEnv(): number {
  const raw = readProcessEnv().REALTIME_MAX_CONNECTIONS_PER_USER;
  if (raw === undefined || raw.trim() === '') return DEFAULT_MAX_CONNECTIONS_PER_USER;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) {
    throw new RealtimeError('invalid_config', `REALTIME_MAX_CONNECTIONS_PER_USER: ${JSON.stringify(raw)} must be a positive integer`);
  }
  return value;
}
