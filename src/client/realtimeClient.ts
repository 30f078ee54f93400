import { assertChannelName, channelKind } from '../core/channels.js';
import { CLIENT_EVENT_PREFIX } from '../core/events.js';
import { isRealtimeError, RealtimeError, type ProviderName } from '../core/errors.js';
import type {
  ChannelAuthorizer,
  ClientTransport,
  ConnectionState as TransportConnectionState,
  IncomingEvent,
  PresenceMember,
  TransportAuth,
  UserAuthentication,
  UserAuthenticator,
} from '../core/provider.js';
import { SOCKET_ID_HEADER } from '../core/socketId.js';
import { connectionChannelName, REAUTH_REQUIRED_EVENT, SYSTEM_CHANNEL, type ReauthRequired } from '../core/systemEvents.js';
import { defaultChannelAuthorizer, defaultUserAuthenticator } from './authRequests.js';
import { fullJitterDelay, resolveReconnectOptions } from './backoff.js';
import { CredentialStore, isFatalError, isTerminalAuthError, tokenFetcherFor, toRealtimeError } from './credentials.js';
import { createHistoryRecovery, httpHistoryFetcher, type DeliveredEvent, type HistoryGap } from './historyRecovery.js';
import { loadClientTransport } from './loadTransport.js';
import { requestAppEndpoint } from './authRequests.js';
import { channelPatternMatcher } from '../core/channelPolicy.js';
import { clientOptionsFromEnv, type ClientOptions } from './options.js';

/**
 * `auth_failed` is decided here only: the token endpoint or user authentication answered
 * 401/403; the user must log in again, and nothing is retried until `connect()` is called.
 */
export type ConnectionState = TransportConnectionState;

export interface EventMeta {
  channel: string;
  event: string;
  /** Sender of a client event on a presence channel, when the provider says. */
  userId?: string | undefined;
  /** History channels: the event's id (unique per publish) and the cursor after it. */
  id?: string | undefined;
  cursor?: string | undefined;
}
export type EventHandler<T = unknown> = (data: T, meta: EventMeta) => void;
/** Receives every event of a channel (useChannel). */
export type ChannelEventHandler = (event: string, data: unknown, meta: EventMeta) => void;
export type Unsubscribe = () => void;

export interface PresenceChange {
  type: 'subscribed' | 'member_added' | 'member_removed';
  /** The member who joined or left (absent for `subscribed`). */
  member?: PresenceMember | undefined;
  /** Everyone present after the change. */
  members: PresenceMember[];
}
export type PresenceListener = (change: PresenceChange) => void;

export type SubscriptionStatus = 'pending' | 'subscribed' | 'failed';

/** Events an app can observe with `client.on(name, listener)`. */
export interface RealtimeClientEvents {
  /** The token endpoint or user authentication refused the user (401/403). The client stopped. */
  auth_failed: RealtimeError;
  /** Re-authentication in place (after `reauth_required` or `reauthenticate()`) completed. */
  reauthenticated: { rotationId: string | undefined };
  reauth_failed: RealtimeError;
  /** The connection was lost or an attempt failed; the next attempt starts after `delayMs`. */
  reconnect_scheduled: { attempt: number; delayMs: number; error: Error | undefined };
  /** A channel's subscription was confirmed (again after every reconnect). */
  subscribed: { channel: string };
  subscription_error: { channel: string; error: Error };
  /** A history channel lost events history no longer holds (trimmed): refetch the page's data. */
  history_gap: HistoryGap;
  /** Recovering a history channel failed (retried with backoff unless refused). */
  history_error: { channel: string; error: Error };
}

export { SOCKET_ID_HEADER };

export interface RealtimeClient {
  readonly provider: ProviderName;
  readonly state: ConnectionState;
  /** The error that caused the current state, when there was one. */
  readonly error: Error | undefined;
  /** This connection's id, to exclude it from a publish it caused. Undefined until connected. */
  readonly socketId: string | undefined;
  /**
   * Connects (subscribing connects too) and resolves once connected; rejects on `failed`,
   * `auth_failed` or a connection the server closed. Also restarts a client that stopped.
   */
  connect(): Promise<void>;
  /** Closes the connection; subscriptions are kept and come back on the next connect. */
  disconnect(): void;
  /** Listens for one event on one channel; returns the function that stops listening. */
  subscribe<T = unknown>(channel: string, event: string, handler: EventHandler<T>): Unsubscribe;
  /** Listens for every event on a channel. */
  subscribeAll(channel: string, handler: ChannelEventHandler): Unsubscribe;
  /** Presence: the member list on subscription, and every join and leave. */
  onPresence(channel: string, listener: PresenceListener): Unsubscribe;
  /** Resolves when the channel's subscription is confirmed; rejects if it was refused. */
  whenSubscribed(channel: string): Promise<void>;
  /** Undefined when nothing listens on the channel. */
  subscriptionStatus(channel: string): SubscriptionStatus | undefined;
  /**
   * History channels: deliver every event after `cursor` (from `history()` in a server
   * component) once the channel is subscribed, then the live ones, each exactly once.
   */
  resumeFrom(channel: string, cursor: string): void;
  /** The position of the last event delivered on a history channel. */
  cursor(channel: string): string | undefined;
  /** Sends a client event (`client-` prefix added if missing) on a private or presence channel. */
  whisper(channel: string, event: string, data: unknown): void;
  members(channel: string): PresenceMember[];
  onStateChange(listener: (state: ConnectionState, error?: Error) => void): () => void;
  on<K extends keyof RealtimeClientEvents>(event: K, listener: (payload: RealtimeClientEvents[K]) => void): Unsubscribe;
  /**
   * Fetches a fresh token and re-authenticates the open connection in place (Ably
   * `auth.authorize()`; Pusher protocol: sign in again and re-authorise private and presence
   * channels) without dropping subscriptions. Done automatically on `reauth_required`.
   */
  reauthenticate(): Promise<void>;
  /** `{ 'X-Socket-ID': socketId }` when connected, else `{}`. */
  socketIdHeaders(): Record<string, string>;
  /** `init` with the `X-Socket-ID` header added (for fetch calls that publish). */
  withSocketId<T extends RequestInit>(init?: T): T;
}

interface ChannelEntry {
  readonly name: string;
  handlers: Map<string, Set<EventHandler<any>>>;
  allHandlers: Set<ChannelEventHandler>;
  presence: Set<PresenceListener>;
  status: SubscriptionStatus;
  error?: Error | undefined;
  waiters: Array<{ resolve(): void; reject(error: Error): void }>;
  leaveTimer?: ReturnType<typeof setTimeout> | undefined;
  /** A retryable authorization failure (network, 5xx) is tried again with backoff. */
  retryTimer?: ReturnType<typeof setTimeout> | undefined;
  failedAttempts: number;
}

/** A channel refusal worth retrying: the auth endpoint or network failed, not the policy. */
function isRetryableSubscriptionError(error: Error): boolean {
  if (isTerminalAuthError(error)) return false;
  if (isRealtimeError(error)) return error.retryable || (error.status !== undefined && error.status >= 500);
  return false;
}

function referenceCount(entry: ChannelEntry): number {
  let count = entry.allHandlers.size + entry.presence.size;
  for (const set of entry.handlers.values()) count += set.size;
  return count;
}

/** Runs app callbacks; one that throws must not stop delivery to the others. */
function safely(run: () => void): void {
  try {
    run();
  } catch (error) {
    queueMicrotask(() => {
      throw error;
    });
  }
}

/**
 * The provider-agnostic browser client. It owns what no provider SDK gets right on its own:
 * - one transport subscription per channel however many handlers listen (reference counted,
 *   left a tick after the last handler goes, so React StrictMode's remount reuses it);
 * - a fresh token before every connect and reconnect (CredentialStore);
 * - reconnects: when a connection is lost the transport stops its SDK's own retrying and the
 *   client reconnects after a full-jitter exponential delay (backoff.ts);
 * - terminal auth failures (401/403) stop it in state `auth_failed`;
 * - `reauth_required` on the system channel: re-authentication in place.
 *
 * Phases: `stopped` (idle, disconnected, failed, auth_failed), `connecting` (token fetched,
 * transport connecting), `connected`, `waiting` (backoff timer running). `generation` changes
 * whenever the phase does, so late results of an abandoned attempt are ignored.
 */
export function createRealtimeClient(options: ClientOptions = clientOptionsFromEnv()): RealtimeClient {
  const reconnect = resolveReconnectOptions(options.reconnect);
  const reauthSpreadMs = options.reauthSpreadMs ?? 2000;
  const channels = new Map<string, ChannelEntry>();
  const stateListeners = new Set<(state: ConnectionState, error?: Error) => void>();
  const eventListeners = new Map<keyof RealtimeClientEvents, Set<(payload: any) => void>>();
  const fetcher = tokenFetcherFor(options);
  const credentials = fetcher
    ? new CredentialStore(
        fetcher,
        () => [...channels.keys()],
        // The id the server records the connection under (Ably: its connectionId).
        () => (phase === 'connected' ? transport?.connectionId ?? transport?.socketId : undefined),
      )
    : undefined;

  let state: ConnectionState = 'idle';
  let lastError: Error | undefined;
  let phase: 'stopped' | 'connecting' | 'connected' | 'waiting' = 'stopped';
  let generation = 0;
  let attempt = 0;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let connectTimer: ReturnType<typeof setTimeout> | undefined;
  let transport: ClientTransport | undefined;
  let transportPromise: Promise<ClientTransport> | undefined;
  let systemSubscription: Unsubscribe | undefined;
  let reauthInFlight: Promise<void> | undefined;
  let reauthTimer: ReturnType<typeof setTimeout> | undefined;
  const handledRotations = new Set<string>();

  const emit = <K extends keyof RealtimeClientEvents>(event: K, payload: RealtimeClientEvents[K]) => {
    for (const listener of [...(eventListeners.get(event) ?? [])]) safely(() => listener(payload));
  };

  const setState = (next: ConnectionState, error?: Error) => {
    // A fresh start forgets the old error; 'reconnecting' without a new one keeps the cause.
    lastError = next === 'connected' || next === 'connecting' ? error : error ?? lastError;
    if (next === state) return;
    state = next;
    for (const listener of [...stateListeners]) safely(() => listener(next, error));
  };

  const clearTimers = () => {
    clearTimeout(retryTimer);
    clearTimeout(connectTimer);
    retryTimer = connectTimer = undefined;
  };

  const settle = (entry: ChannelEntry) => {
    const waiters = entry.waiters.splice(0);
    for (const waiter of waiters) {
      if (entry.status === 'subscribed') waiter.resolve();
      else waiter.reject(entry.error ?? new RealtimeError('forbidden', `subscription to ${entry.name} failed`));
    }
  };

  /** The connection is gone: every subscription has to be confirmed again. */
  const markChannelsPending = () => {
    for (const entry of channels.values()) {
      entry.status = 'pending';
      entry.error = undefined;
    }
  };

  const rejectWaiters = (error: Error) => {
    for (const entry of channels.values()) {
      for (const waiter of entry.waiters.splice(0)) waiter.reject(error);
    }
  };

  /** Ends the current connection and every pending retry; later callbacks of it are ignored. */
  const halt = () => {
    clearTimers();
    clearTimeout(reauthTimer);
    generation += 1;
    phase = 'stopped';
    transport?.disconnect();
    markChannelsPending();
  };

  /** Stops for good (until `connect()`): `failed`, `auth_failed`, or a close the server asked for. */
  const stop = (next: 'failed' | 'auth_failed' | 'disconnected', error: Error | undefined) => {
    halt();
    setState(next, error);
    if (error) rejectWaiters(error);
  };

  const authFailed = (error: unknown) => {
    if (state === 'auth_failed') return;
    const failure = toRealtimeError(error, 'authentication failed');
    stop('auth_failed', failure);
    emit('auth_failed', failure);
  };

  const fail = (error: unknown) => stop('failed', toRealtimeError(error, 'the connection failed'));

  /** Lost connection or failed attempt: close what is left and try again after a jittered delay. */
  const retryLater = (error?: Error) => {
    if (phase === 'waiting' || phase === 'stopped') return;
    clearTimers();
    const scheduled = ++generation;
    phase = 'waiting';
    transport?.disconnect();
    markChannelsPending();
    if (attempt >= reconnect.maxAttempts) {
      fail(new RealtimeError('provider_unavailable', `gave up after ${attempt} reconnect attempts${error ? `: ${error.message}` : ''}`, { cause: error }));
      return;
    }
    const delayMs = fullJitterDelay(attempt, reconnect);
    attempt += 1;
    setState('reconnecting', error);
    emit('reconnect_scheduled', { attempt, delayMs, error });
    retryTimer = setTimeout(() => {
      if (scheduled === generation) void beginAttempt();
    }, delayMs);
  };

  const attemptFailed = (error: unknown) => {
    if (isTerminalAuthError(error)) authFailed(error);
    else if (isFatalError(error)) fail(error);
    else retryLater(toRealtimeError(error, 'connecting failed'));
  };

  const ensureTransport = (): Promise<ClientTransport> => {
    transportPromise ??= (async () => {
      let loaded: ClientTransport;
      try {
        loaded = await (options.createTransport ? options.createTransport(auth) : loadClientTransport(options, auth));
      } catch (error) {
        // A missing SDK or an unsupported provider: no retry can fix it.
        throw isRealtimeError(error)
          ? error
          : new RealtimeError('invalid_config', `could not load the ${options.provider} client: ${(error as Error)?.message ?? error}`, { cause: error });
      }
      transport = loaded;
      loaded.onStateChange(onTransportState);
      for (const entry of channels.values()) attach(loaded, entry);
      return loaded;
    })();
    return transportPromise;
  };

  /** One connection attempt: a fresh token, then the transport's connect, bounded by connectTimeoutMs. */
  const beginAttempt = async () => {
    const current = ++generation;
    phase = 'connecting';
    setState(attempt > 0 ? 'reconnecting' : 'connecting');
    let loaded: ClientTransport;
    try {
      loaded = await ensureTransport();
      if (current !== generation) return;
      if (credentials) await credentials.refresh();
    } catch (error) {
      if (current === generation) attemptFailed(error);
      return;
    }
    if (current !== generation) return;
    connectTimer = setTimeout(() => {
      if (current === generation && phase === 'connecting') {
        retryLater(new RealtimeError('provider_unavailable', `not connected within ${reconnect.connectTimeoutMs} ms`, { retryable: true }));
      }
    }, reconnect.connectTimeoutMs);
    loaded.connect();
  };

  /**
   * Browsers: when the device comes back online, a client waiting out a long backoff window
   * tries again within the first window (still jittered: a whole office's Wi-Fi comes back at once).
   */
  let watchingNetwork = false;
  const watchNetwork = () => {
    if (watchingNetwork) return;
    watchingNetwork = true;
    const page = (globalThis as { window?: { addEventListener?(type: string, listener: () => void): void } }).window;
    page?.addEventListener?.('online', () => {
      if (phase !== 'waiting') return;
      clearTimeout(retryTimer);
      const scheduled = ++generation;
      attempt = 0;
      retryTimer = setTimeout(() => {
        if (scheduled === generation) void beginAttempt();
      }, fullJitterDelay(0, { baseMs: Math.min(reconnect.baseMs, 1000), capMs: reconnect.capMs }));
    });
  };

  const start = () => {
    if (phase !== 'stopped') return;
    attempt = 0;
    phase = 'connecting';
    watchNetwork();
    if (options.systemEvents !== false && !systemSubscription) {
      systemSubscription = addHandler(SYSTEM_CHANNEL, REAUTH_REQUIRED_EVENT, (data) => onReauthRequired(data as ReauthRequired));
    }
    void beginAttempt();
  };

  /** Subscribing connects, unless the client stopped on an error only `connect()` should clear. */
  const startIfIdle = () => {
    if (phase === 'stopped' && (state === 'idle' || state === 'disconnected')) start();
  };

  function onTransportState(next: TransportConnectionState, error?: Error) {
    if (phase !== 'connecting' && phase !== 'connected') return;
    switch (next) {
      case 'connected':
        if (phase === 'connected') return;
        clearTimeout(connectTimer);
        phase = 'connected';
        // A connection that still has to sign in (Ably, below) counts as a successful attempt only
        // once it did: a refused one (too_many_connections) keeps backing off.
        if (!needsTokenSignIn()) attempt = 0;
        setState('connected');
        void signInWithToken();
        return;
      case 'reconnecting':
        // Without an error, while an attempt is under way, this is the SDK saying "connecting
        // again" (Ably after a previous connection); the attempt itself is still running.
        if (!error && phase === 'connecting') return;
        if (isRealtimeError(error, 'token_expired')) {
          // A token-based SDK (Ably) renews an expired token in place, fetching a fresh one through
          // fetchToken and resuming the same connection (no message lost): let it, within the
          // connect timeout, instead of closing and starting over.
          clearTimeout(connectTimer);
          phase = 'connecting';
          const renewing = ++generation;
          setState('reconnecting', error);
          connectTimer = setTimeout(() => {
            if (renewing === generation && phase === 'connecting') retryLater(error);
          }, reconnect.connectTimeoutMs);
          return;
        }
        retryLater(error);
        return;
      case 'disconnected':
        // Without an error this is the late echo of a close the client asked for earlier.
        if (!error && phase === 'connecting') return;
        // The server closed this connection on purpose (logout, rotation deadline): stay closed.
        stop('disconnected', error);
        return;
      case 'failed':
        if (error && isTerminalAuthError(error)) authFailed(error);
        else fail(error ?? new RealtimeError('provider_unavailable', 'the connection failed'));
        return;
      default:
        return;
    }
  }

  // --- credentials for the transports -------------------------------------------------------

  const tokenForRequest = async (): Promise<string | undefined> => {
    if (!credentials) return undefined;
    try {
      return await credentials.current();
    } catch (error) {
      if (isTerminalAuthError(error)) authFailed(error);
      throw error;
    }
  };

  /** Runs an auth request with the current token; a 401 gets one retry with a new token. */
  const withToken = async <T>(call: (token: string | undefined) => Promise<T>): Promise<T> => {
    const token = await tokenForRequest();
    try {
      return await call(token);
    } catch (error) {
      const status = (error as { status?: unknown })?.status;
      if (!credentials || !token || status !== 401) throw error;
      credentials.invalidate(token);
      return call(await tokenForRequest());
    }
  };

  const baseAuthorize = defaultChannelAuthorizer(options);
  const baseAuthenticate = defaultUserAuthenticator(options);

  const authorizeChannel: ChannelAuthorizer = (request) => withToken((token) => baseAuthorize({ ...request, token }));

  /**
   * A signed-in connection joins its user's connection channel (a presence channel, member id =
   * socket id, signed by the route handlers' connection hooks) for its whole life: that is how the
   * server tells live connections from closed ones (connection limits, rotation).
   */
  let connectionChannel: { userId: string; release: Unsubscribe | undefined } | undefined;
  const joinConnectionChannel = (authentication: UserAuthentication) => {
    let userId: string | undefined;
    try {
      const id = (JSON.parse(authentication.user_data) as { id?: unknown }).id;
      userId = typeof id === 'string' || typeof id === 'number' ? String(id) : undefined;
    } catch {
      return;
    }
    if (userId) joinConnectionChannelOf(userId);
  };
  const joinConnectionChannelOf = (userId: string) => {
    if (options.connectionChannel === false) return;
    if (connectionChannel?.userId === userId) return;
    connectionChannel?.release?.();
    const joining: { userId: string; release: Unsubscribe | undefined } = { userId, release: undefined };
    connectionChannel = joining;
    connectionChannelName(userId).then(
      (name) => {
        if (connectionChannel === joining) joining.release = client.subscribeAll(name, () => {});
      },
      () => {
        // No Web Crypto (a page served over plain http from another host): nothing to join.
      },
    );
  };

  /**
   * Token-identified transports (Ably) have no `pusher:signin`: a connection signs in by fetching
   * a token for itself (`socket_id` = the transport's connectionId). The server counts it against
   * the user's connection limit (a refusal is `too_many_connections`, handled like a refused sign-in), the
   * connection switches to that token in place, and joins the user's connection channel (its
   * presence tells the server which connections are still alive). Once per connection.
   */
  let signedInConnection: string | undefined;
  const needsTokenSignIn = (): boolean =>
    Boolean(options.signIn && credentials && transport?.reauthenticate && transport.userId && transport.connectionId && transport.connectionId !== signedInConnection);
  const signInWithToken = async () => {
    if (!needsTokenSignIn() || !credentials || !transport?.reauthenticate) return;
    const target = transport;
    const userId = target.userId!;
    const connectionId = target.connectionId!;
    const current = generation;
    try {
      let name: string | undefined;
      if (options.connectionChannel !== false) name = await connectionChannelName(userId).catch(() => undefined);
      if (current !== generation) return;
      await credentials.refresh(name ? [name] : []);
      if (current !== generation) return;
      await target.reauthenticate!();
      if (current !== generation) return;
      signedInConnection = connectionId;
      attempt = 0;
      joinConnectionChannelOf(userId);
    } catch (error) {
      if (current !== generation) return;
      if (isTerminalAuthError(error)) authFailed(error);
      else retryLater(toRealtimeError(error, 'signing the connection in failed'));
    }
  };

  /** Who the connection is: a refusal here is the user's, so it stops the client. */
  const authenticateUser: UserAuthenticator | undefined = baseAuthenticate
    ? async (request) => {
        try {
          const authentication = await withToken((token) => baseAuthenticate({ ...request, token }));
          joinConnectionChannel(authentication);
          return authentication;
        } catch (error) {
          if (isTerminalAuthError(error)) authFailed(error);
          else if (phase === 'connected' || phase === 'connecting') retryLater(toRealtimeError(error, 'user authentication failed'));
          throw error;
        }
      }
    : undefined;

  const auth: TransportAuth = {
    authorizeChannel,
    authenticateUser,
    fetchToken: credentials
      ? async (request) => {
          try {
            return await credentials.handOut(request.channels);
          } catch (error) {
            if (isTerminalAuthError(error)) authFailed(error);
            throw error;
          }
        }
      : undefined,
  };

  // --- channels ---------------------------------------------------------------------------

  const notifyPresence = (entry: ChannelEntry, type: PresenceChange['type'], member?: PresenceMember) => {
    if (entry.presence.size === 0) return;
    const change: PresenceChange = { type, member, members: transport?.members(entry.name) ?? [] };
    for (const listener of [...entry.presence]) safely(() => listener(change));
  };

  const deliver = (channel: string, incoming: DeliveredEvent) => {
    const entry = channels.get(channel);
    if (!entry) return;
    const meta: EventMeta = { channel, event: incoming.event, userId: incoming.userId };
    if (incoming.id !== undefined) {
      meta.id = incoming.id;
      meta.cursor = incoming.cursor;
    }
    // Copies: a handler that unsubscribes while we iterate must not skip its neighbours.
    for (const handler of [...(entry.handlers.get(incoming.event) ?? [])]) safely(() => handler(incoming.data, meta));
    for (const handler of [...entry.allHandlers]) safely(() => handler(incoming.event, incoming.data, meta));
  };

  const historyEndpoint = options.historyEndpoint ?? '/api/realtime/history';
  const recovery = createHistoryRecovery({
    fetchHistory:
      options.fetchHistory ??
      (historyEndpoint === false
        ? undefined
        : httpHistoryFetcher(historyEndpoint, (url, init) =>
            // Like the auth requests: cookies, plus the library's own token as a bearer. Ably's
            // tokens are Ably's (the route cannot verify them): cookies only there.
            options.provider === 'ably'
              ? requestAppEndpoint(options, url, init, 'history')
              : withToken((token) =>
                  requestAppEndpoint(options, url, { ...init, headers: token ? { authorization: `Bearer ${token}` } : {} }, 'history'),
                ),
          )),
    deliver,
    onGap: (gap) => emit('history_gap', gap),
    onError: (channel, error) => emit('history_error', { channel, error }),
    socketId: () => (phase === 'connected' ? transport?.socketId : undefined),
    isHistoryChannel: historyChannelMatcher(options.historyChannels),
  });

  const attach = (target: ClientTransport, entry: ChannelEntry) => {
    const current = () => channels.get(entry.name) === entry;
    target.subscribe(entry.name, {
      onEvent: (incoming: IncomingEvent) => {
        // History channels: ordered, de-duplicated, recovered (historyRecovery.ts), then deliver().
        if (current()) recovery.receive(entry.name, incoming);
      },
      onSubscribed: () => {
        if (!current()) return;
        entry.failedAttempts = 0;
        entry.status = 'subscribed';
        entry.error = undefined;
        settle(entry);
        emit('subscribed', { channel: entry.name });
        notifyPresence(entry, 'subscribed');
        recovery.subscribed(entry.name);
      },
      onError: (error) => {
        if (!current()) return;
        entry.status = 'failed';
        entry.error = error;
        settle(entry);
        emit('subscription_error', { channel: entry.name, error });
        // The provider SDKs give up on a channel whose authorization failed; when the failure was
        // the network's or the server's (not the policy's), try again with the same backoff.
        if (isRetryableSubscriptionError(error) && entry.failedAttempts < reconnect.maxAttempts) {
          clearTimeout(entry.retryTimer);
          const delayMs = fullJitterDelay(entry.failedAttempts++, reconnect);
          entry.retryTimer = setTimeout(() => {
            entry.retryTimer = undefined;
            if (current() && entry.status === 'failed' && phase === 'connected' && transport) {
              entry.status = 'pending';
              entry.error = undefined;
              attach(transport, entry);
            }
          }, delayMs);
        }
      },
      onMemberAdded: (member) => {
        if (current()) notifyPresence(entry, 'member_added', member);
      },
      onMemberRemoved: (member) => {
        if (current()) notifyPresence(entry, 'member_removed', member);
      },
    });
  };

  const retain = (channel: string): ChannelEntry => {
    assertChannelName(channel);
    let entry = channels.get(channel);
    if (entry) {
      clearTimeout(entry.leaveTimer);
      entry.leaveTimer = undefined;
      return entry;
    }
    entry = { name: channel, handlers: new Map(), allHandlers: new Set(), presence: new Set(), status: 'pending', waiters: [], failedAttempts: 0 };
    channels.set(channel, entry);
    recovery.track(channel);
    if (transport) attach(transport, entry);
    return entry;
  };

  /**
   * Leaves the channel a tick after its last listener went: React StrictMode's unmount and
   * remount, or a listener moving between components, then keeps the one subscription.
   */
  const release = (entry: ChannelEntry) => {
    if (referenceCount(entry) > 0 || channels.get(entry.name) !== entry || entry.leaveTimer) return;
    entry.leaveTimer = setTimeout(() => {
      entry.leaveTimer = undefined;
      if (referenceCount(entry) > 0 || channels.get(entry.name) !== entry) return;
      channels.delete(entry.name);
      recovery.forget(entry.name);
      clearTimeout(entry.retryTimer);
      transport?.unsubscribe(entry.name);
      for (const waiter of entry.waiters.splice(0)) waiter.reject(new RealtimeError('closed', `unsubscribed from ${entry.name}`));
    }, 0);
  };

  /** Adds one listener and returns the function that removes it (at most once). */
  const hold = (entry: ChannelEntry, remove: () => void): Unsubscribe => {
    let active = true;
    startIfIdle();
    return () => {
      if (!active) return;
      active = false;
      remove();
      release(entry);
    };
  };

  function addHandler(channel: string, event: string, handler: EventHandler<any>): Unsubscribe {
    const entry = retain(channel);
    let set = entry.handlers.get(event);
    if (!set) entry.handlers.set(event, (set = new Set()));
    // A Set would merge the same function subscribed twice; a wrapper keeps each subscription its own.
    const own: EventHandler<any> = (data, meta) => handler(data, meta);
    set.add(own);
    return hold(entry, () => {
      set!.delete(own);
      if (set!.size === 0 && entry.handlers.get(event) === set) entry.handlers.delete(event);
    });
  }

  // --- re-authentication ---------------------------------------------------------------------

  function onReauthRequired(data: ReauthRequired | undefined) {
    const rotationId = typeof data?.rotationId === 'string' ? data.rotationId : undefined;
    if (rotationId) {
      if (handledRotations.has(rotationId)) return;
      handledRotations.add(rotationId);
    }
    const deadline = typeof data?.deadline === 'number' ? data.deadline : undefined;
    // Spread the fleet's token requests, but finish well before the deadline.
    const window = Math.min(reauthSpreadMs, deadline === undefined ? reauthSpreadMs : Math.max(0, (deadline - Date.now()) / 2));
    clearTimeout(reauthTimer);
    reauthTimer = setTimeout(() => {
      reauthenticate(rotationId).catch(() => {
        // Reported through the reauth_failed event (and auth_failed when terminal).
      });
    }, Math.floor(Math.random() * window));
  }

  const reauthenticate = (rotationId?: string): Promise<void> => {
    reauthInFlight ??= (async () => {
      try {
        if (phase !== 'connected' || !transport) {
          // Not connected: the next connect fetches a fresh token anyway.
          credentials?.clear();
          return;
        }
        const current = generation;
        if (credentials) await credentials.refresh();
        if (current !== generation) return;
        if (transport.reauthenticate) {
          await transport.reauthenticate();
        } else {
          // This transport cannot re-authenticate in place: reconnect with the fresh token.
          clearTimers();
          generation += 1;
          phase = 'connecting';
          transport.disconnect();
          markChannelsPending();
          await new Promise<void>((resolve, reject) => {
            const off = client.onStateChange((next, error) => {
              if (next === 'connected') resolve();
              else if (next === 'failed' || next === 'auth_failed' || next === 'disconnected') reject(error ?? new RealtimeError('closed', 'the connection closed'));
              else return;
              off();
            });
            void beginAttempt();
          });
        }
        if (phase !== 'connected') throw lastError ?? new RealtimeError('closed', 'the connection closed while re-authenticating');
        emit('reauthenticated', { rotationId });
      } catch (error) {
        const failure = toRealtimeError(error, 're-authentication failed');
        emit('reauth_failed', failure);
        if (isTerminalAuthError(failure)) authFailed(failure);
        throw failure;
      } finally {
        reauthInFlight = undefined;
      }
    })();
    return reauthInFlight;
  };

  // --- public API ----------------------------------------------------------------------------

  const client: RealtimeClient = {
    provider: options.provider,
    get state() {
      return state;
    },
    get error() {
      return lastError;
    },
    get socketId() {
      return phase === 'connected' ? transport?.socketId : undefined;
    },
    connect() {
      if (state === 'connected') return Promise.resolve();
      const connected = new Promise<void>((resolve, reject) => {
        const off = client.onStateChange((next, error) => {
          if (next === 'connected') resolve();
          else if (next === 'failed' || next === 'auth_failed' || next === 'disconnected') {
            reject(error ?? lastError ?? new RealtimeError('closed', `the connection ended in state ${next}`));
          } else return;
          off();
        });
      });
      if (phase === 'stopped') start();
      return connected;
    },
    disconnect() {
      halt();
      if (state === 'connecting' || state === 'connected' || state === 'reconnecting') setState('disconnected');
    },
    subscribe(channel, event, handler) {
      return addHandler(channel, event, handler as EventHandler<any>);
    },
    subscribeAll(channel, handler) {
      const entry = retain(channel);
      const own: ChannelEventHandler = (event, data, meta) => handler(event, data, meta);
      entry.allHandlers.add(own);
      return hold(entry, () => entry.allHandlers.delete(own));
    },
    onPresence(channel, listener) {
      const entry = retain(channel);
      const own: PresenceListener = (change) => listener(change);
      entry.presence.add(own);
      return hold(entry, () => entry.presence.delete(own));
    },
    whenSubscribed(channel) {
      const entry = channels.get(channel);
      if (!entry) return Promise.reject(new RealtimeError('invalid_channel', `not subscribed to ${channel}`));
      if (entry.status === 'subscribed') return Promise.resolve();
      if (entry.status === 'failed') return Promise.reject(entry.error);
      // A client stopped on an error will not subscribe anything until connect() is called.
      if (phase === 'stopped' && (state === 'failed' || state === 'auth_failed')) {
        return Promise.reject(lastError ?? new RealtimeError('closed', `the client is in state ${state}`));
      }
      return new Promise((resolve, reject) => entry.waiters.push({ resolve, reject }));
    },
    subscriptionStatus(channel) {
      return channels.get(channel)?.status;
    },
    resumeFrom(channel, cursor) {
      recovery.resumeFrom(channel, cursor);
    },
    cursor(channel) {
      return recovery.cursor(channel);
    },
    whisper(channel, event, data) {
      if (channelKind(channel) === 'public') {
        throw new RealtimeError('invalid_channel', 'client events can only be sent on private and presence channels');
      }
      if (!transport || phase !== 'connected') throw new RealtimeError('closed', 'not connected');
      transport.trigger(channel, event.startsWith(CLIENT_EVENT_PREFIX) ? event : `${CLIENT_EVENT_PREFIX}${event}`, data);
    },
    members(channel) {
      return transport?.members(channel) ?? [];
    },
    onStateChange(listener) {
      stateListeners.add(listener);
      return () => stateListeners.delete(listener);
    },
    on(event, listener) {
      let set = eventListeners.get(event);
      if (!set) eventListeners.set(event, (set = new Set()));
      const own = (payload: any) => listener(payload);
      set.add(own);
      return () => set!.delete(own);
    },
    reauthenticate: () => reauthenticate(),
    socketIdHeaders() {
      return socketIdHeaders(client);
    },
    withSocketId<T extends RequestInit>(init?: T): T {
      const socketId = client.socketId;
      if (!socketId) return (init ?? {}) as T;
      const headers = new Headers(init?.headers);
      headers.set(SOCKET_ID_HEADER, socketId);
      return { ...(init ?? {}), headers } as T;
    },
  };
  return client;
}

/** The client's `historyChannels` patterns as one test (the server's pattern rules). */
function historyChannelMatcher(patterns: readonly string[] | undefined): ((channel: string) => boolean) | undefined {
  if (!patterns || patterns.length === 0) return undefined;
  const matchers = patterns.map((pattern) => channelPatternMatcher(pattern));
  return (channel) => matchers.some((matches) => matches(channel));
}

/** `{ 'X-Socket-ID': id }` for a client that is connected, else `{}`. */
export function socketIdHeaders(client: Pick<RealtimeClient, 'socketId'>): Record<string, string> {
  const headers: Record<string, string> = {};
  if (client.socketId) headers[SOCKET_ID_HEADER] = client.socketId;
  return headers;
}
