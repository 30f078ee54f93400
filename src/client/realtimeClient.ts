import { channelKind } from '../core/channels.js';
import { CLIENT_EVENT_PREFIX } from '../core/events.js';
import { isRealtimeError, RealtimeError, type ProviderName } from '../core/errors.js';
import type { ClientTransport, ConnectionState as TransportConnectionState, PresenceMember } from '../core/provider.js';
import type { IfEventsRegistered, KnownEventName, KnownEventPayload, KnownWhisperData, KnownWhisperName } from '../core/eventDefinitions.js';
import { SOCKET_ID_HEADER } from '../core/socketId.js';
import { sendSocketIdWithServerActions } from './serverActionSocketId.js';
import { REAUTH_REQUIRED_EVENT, SYSTEM_CHANNEL, type ReauthRequired } from '../core/systemEvents.js';
import { attemptTimeout, fullJitterDelay, resolveReconnectOptions } from './backoff.js';
import {
  createChannelRegistry,
  type ChannelEventHandler,
  type EventHandler,
  type PresenceListener,
  type SubscriptionStatus,
  type Unsubscribe,
} from './channelRegistry.js';
import { createConnectionAuth } from './connectionAuth.js';
import { requestAppEndpoint } from './authRequests.js';
import { channelPatternMatcher } from '../core/channelPolicy.js';
import { createHistoryRecovery, httpHistoryFetcher, type HistoryGap } from './historyRecovery.js';
import { CredentialStore, isFatalError, isTerminalAuthError, tokenFetcherFor, toRealtimeError, usesRouteHandlers } from './credentials.js';
import { createEmitter, safely } from './listeners.js';
import { loadClientTransport } from './loadTransport.js';
import { clientPart } from '../registry/clientTransports.js';
import { DEFAULT_ENDPOINTS, resolveClientOptions, type ClientOptions, type ClientOptionsInput } from './options.js';
import { createReauthentication } from './reauthentication.js';
import { createUnconfiguredClient } from './unconfiguredClient.js';

export type {
  ChannelEventHandler,
  EventHandler,
  EventMeta,
  PresenceChange,
  PresenceListener,
  SubscriptionStatus,
  Unsubscribe,
} from './channelRegistry.js';

/**
 * `auth_failed` is decided here only: the token endpoint or user authentication answered
 * 401/403; the user must log in again, and nothing is retried until `connect()` is called.
 */
export type ConnectionState = TransportConnectionState;

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

/**
 * `client.subscribe`: with registered events (`Register`) the payload type comes from the event's
 * schema and an unknown event name is a type error; without, any name and a payload type the
 * call may name (`subscribe<Order>(...)`).
 */
export type SubscribeFunction = IfEventsRegistered<
  <Name extends KnownEventName>(channel: string, event: Name, handler: EventHandler<KnownEventPayload<Name>>) => Unsubscribe,
  <T = unknown>(channel: string, event: string, handler: EventHandler<T>) => Unsubscribe
>;

/** `whisper`: with registered `client-` events, their names and payload types only. */
export type WhisperFunction<Args extends unknown[]> = IfEventsRegistered<
  <Name extends KnownWhisperName>(...args: [...Args, event: Name, data: KnownWhisperData<Name>]) => void,
  (...args: [...Args, event: string, data: unknown]) => void
>;

export interface RealtimeClient {
  /** Undefined only for a configuration that names no provider (state `failed`, `invalid_config`). */
  readonly provider: ProviderName | undefined;
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
  subscribe: SubscribeFunction;
  /** Listens for every event on a channel. */
  subscribeAll(channel: string, handler: ChannelEventHandler): Unsubscribe;
  /** Presence: the member list on subscription, and every join and leave. */
  onPresence(channel: string, listener: PresenceListener): Unsubscribe;
  /** Resolves when the channel's subscription is confirmed; rejects if it was refused. */
  whenSubscribed(channel: string): Promise<void>;
  /** Undefined when nothing listens on the channel. */
  subscriptionStatus(channel: string): SubscriptionStatus | undefined;
  /** Sends a client event (`client-` prefix added if missing) on a private or presence channel. */
  whisper: WhisperFunction<[channel: string]>;
  /**
   * History channels (docs/delivery.md): deliver every event after `cursor` (from `history()` in
   * a server component) once the channel is subscribed, then the live ones, each exactly once.
   */
  resumeFrom(channel: string, cursor: string): void;
  /** The position of the last event delivered on a history channel. */
  cursor(channel: string): string | undefined;
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

/**
 * What the client is doing: `stopped` (idle, disconnected, failed, auth_failed), `connecting`
 * (token fetched, transport connecting), `connected`, `waiting` (backoff timer running).
 */
type Phase = 'stopped' | 'connecting' | 'connected' | 'waiting';

/** A connection that ended and will not come back until `connect()`. */
type StoppedState = 'failed' | 'auth_failed' | 'disconnected';
const isStoppedState = (state: ConnectionState): state is StoppedState =>
  state === 'failed' || state === 'auth_failed' || state === 'disconnected';

/**
 * The provider-agnostic browser client. It owns what no provider SDK gets right on its own:
 * - one transport subscription per channel however many handlers listen (channelRegistry.ts);
 * - a fresh token before every connect and reconnect (CredentialStore, connectionAuth.ts);
 * - reconnects: when a connection is lost the transport stops its SDK's own retrying and the
 *   client reconnects after a full-jitter exponential delay (backoff.ts);
 * - terminal auth failures (401/403) stop it in state `auth_failed`;
 * - `reauth_required` on the system channel: re-authentication in place (reauthentication.ts).
 *
 * Every change of phase and state goes through `transition()`. `generation` changes with every
 * phase but `connected`, so late results of an abandoned attempt are ignored.
 */
export function createRealtimeClient(options?: ClientOptionsInput): RealtimeClient {
  const resolved = resolveClientOptions(options);
  return 'error' in resolved ? createUnconfiguredClient(resolved.error) : createConfiguredClient(resolved.options);
}

function createConfiguredClient(options: ClientOptions): RealtimeClient {
  const reconnect = resolveReconnectOptions(options.reconnect);
  const stateListeners = new Set<(state: ConnectionState, error?: Error) => void>();
  const events = createEmitter<RealtimeClientEvents>();

  let state: ConnectionState = 'idle';
  let lastError: Error | undefined;
  let phase: Phase = 'stopped';
  let generation = 0;
  let attempt = 0;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let connectTimer: ReturnType<typeof setTimeout> | undefined;
  let transport: ClientTransport | undefined;
  let transportPromise: Promise<ClientTransport> | undefined;
  let systemSubscription: Unsubscribe | undefined;

  const channels = createChannelRegistry({
    transport: () => transport,
    isConnected: () => phase === 'connected',
    onListenerAdded: () => startIfIdle(),
    onSubscribed: (channel) => {
      events.emit('subscribed', { channel });
      recovery.subscribed(channel);
    },
    onSubscriptionError: (channel, error) => events.emit('subscription_error', { channel, error }),
    // History channels: ordered, de-duplicated and recovered (historyRecovery.ts), then delivered.
    onEvent: (channel, incoming) => recovery.receive(channel, incoming),
    onChannelAdded: (channel) => recovery.track(channel),
    onChannelRemoved: (channel) => recovery.forget(channel),
    reconnect,
  });
  const fetcher = tokenFetcherFor(options);
  const credentials = fetcher
    ? new CredentialStore(
        fetcher,
        () => channels.names(),
        // The id the server records the connection under (Ably: its connectionId).
        () => (phase === 'connected' ? transport?.connectionId ?? transport?.socketId : undefined),
        Date.now,
        // The token endpoint's 401 is a visitor without a session, unless the app said this
        // client is a signed-in user's (`signIn: true`).
        usesRouteHandlers(options) && options.signIn !== true,
      )
    : undefined;

  /**
   * The one place the client changes phase and state. Leaving a live connection (for `stopped`
   * or `waiting`, or with `restart`) tears it down: the transport closes and every channel has
   * to be confirmed again. Stopping on an error rejects whoever waits for a subscription.
   */
  const transition = (next: Phase, change: { state?: ConnectionState; error?: Error; restart?: boolean } = {}) => {
    const live = phase === 'connecting' || phase === 'connected';
    clearTimeout(retryTimer);
    clearTimeout(connectTimer);
    retryTimer = connectTimer = undefined;
    if (next !== 'connected') generation += 1;
    phase = next;
    if (next === 'stopped') reauth.cancel();
    if (live && (next === 'stopped' || next === 'waiting' || change.restart)) {
      transport?.disconnect();
      channels.markAllPending();
    }
    if (change.state) setState(change.state, change.error);
    if (next === 'stopped' && change.error) channels.rejectWaiters(change.error);
  };

  const setState = (next: ConnectionState, error?: Error) => {
    // A fresh start forgets the old error; 'reconnecting' without a new one keeps the cause.
    lastError = next === 'connected' || next === 'connecting' ? error : error ?? lastError;
    if (next === state) return;
    state = next;
    for (const listener of [...stateListeners]) safely(() => listener(next, error));
  };

  /** Stops for good (until `connect()`): `failed`, `auth_failed`, or a close the server asked for. */
  const stop = (next: StoppedState, error: Error | undefined) => transition('stopped', { state: next, error });

  const authFailed = (error: unknown) => {
    if (state === 'auth_failed') return;
    const failure = toRealtimeError(error, 'authentication failed');
    stop('auth_failed', failure);
    events.emit('auth_failed', failure);
  };

  const fail = (error: unknown) => stop('failed', toRealtimeError(error, 'the connection failed'));

  /** Schedules the next attempt for `generation` after `delayMs` (backoff, or back online). */
  const scheduleAttempt = (delayMs: number) => {
    const scheduled = generation;
    retryTimer = setTimeout(() => {
      if (scheduled === generation) void beginAttempt();
    }, delayMs);
  };

  /** Lost connection or failed attempt: close what is left and try again after a jittered delay. */
  const retryLater = (error?: Error) => {
    if (phase === 'waiting' || phase === 'stopped') return;
    if (attempt >= reconnect.maxAttempts) {
      fail(new RealtimeError('provider_unavailable', `gave up after ${attempt} reconnect attempts${error ? `: ${error.message}` : ''}`, { cause: error }));
      return;
    }
    const delayMs = fullJitterDelay(attempt, reconnect);
    attempt += 1;
    transition('waiting', { state: 'reconnecting', error });
    events.emit('reconnect_scheduled', { attempt, delayMs, error });
    scheduleAttempt(delayMs);
  };

  const attemptFailed = (error: unknown) => {
    if (isTerminalAuthError(error)) authFailed(error);
    else if (isFatalError(error)) fail(error);
    else retryLater(toRealtimeError(error, 'connecting failed'));
  };

  let serverActionsWired = false;
  const connectionAuth = createConnectionAuth({
    options,
    credentials,
    transport: () => transport,
    generation: () => generation,
    isConnecting: () => phase === 'connecting',
    isConnected: () => phase === 'connected',
    authFailed,
    retryLater,
    signedIn: () => {
      attempt = 0;
    },
    subscribeAll: (channel) => channels.subscribeAll(channel, () => {}),
  });

  const historyEndpoint = options.historyEndpoint ?? DEFAULT_ENDPOINTS.history;
  const historyPatterns = (options.historyChannels ?? []).map((pattern) => channelPatternMatcher(pattern));
  const recovery = createHistoryRecovery({
    fetchHistory:
      options.fetchHistory ??
      (historyEndpoint === false
        ? undefined
        : httpHistoryFetcher(historyEndpoint, (url, init) =>
            // Like the auth requests: cookies, plus the library's own token as a bearer. A
            // `tokens` provider's tokens are its own (Ably's: the route cannot verify them):
            // cookies only there.
            clientPart(options.provider).auth === 'tokens'
              ? requestAppEndpoint(options, url, init, 'history')
              : connectionAuth.withToken((token) =>
                  requestAppEndpoint(options, url, { ...init, headers: token ? { authorization: `Bearer ${token}` } : {} }, 'history'),
                ),
          )),
    deliver: (channel, event) => channels.deliver(channel, event),
    onGap: (gap) => events.emit('history_gap', gap),
    onError: (channel, error) => events.emit('history_error', { channel, error }),
    socketId: () => (phase === 'connected' ? transport?.socketId : undefined),
    isHistoryChannel: historyPatterns.length > 0 ? (channel) => historyPatterns.some((matches) => matches(channel)) : undefined,
  });

  const ensureTransport = (): Promise<ClientTransport> => {
    transportPromise ??= (async () => {
      let loaded: ClientTransport;
      try {
        const auth = connectionAuth.auth;
        loaded = await (options.createTransport ? options.createTransport(auth) : loadClientTransport(options, auth));
      } catch (error) {
        // A missing SDK or an unsupported provider: no retry can fix it.
        throw isRealtimeError(error)
          ? error
          : new RealtimeError('invalid_config', `could not load the ${options.provider} client: ${(error as Error)?.message ?? error}`, { cause: error });
      }
      transport = loaded;
      loaded.onStateChange(onTransportState);
      channels.attachAll(loaded);
      return loaded;
    })();
    return transportPromise;
  };

  /**
   * One connection attempt: a fresh token, then the transport's connect, the two together bounded
   * by attemptTimeout(attempt) (connectTimeoutMs, doubled per retry up to connectTimeoutCapMs), so a
   * hung token request is retried too and a slow server is given longer each time.
   */
  const beginAttempt = async () => {
    transition('connecting', { state: attempt > 0 ? 'reconnecting' : 'connecting' });
    const current = generation;
    const timeoutMs = attemptTimeout(attempt, reconnect);
    connectTimer = setTimeout(() => {
      if (current !== generation || phase !== 'connecting') return;
      // A token request still under way when the attempt gave up is not joined by the next one.
      credentials?.abandonRefresh();
      retryLater(new RealtimeError('provider_unavailable', `not connected within ${timeoutMs} ms`, { retryable: true }));
    }, timeoutMs);
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
    // Wired on the first connect, not at creation: creating a client (server render) reads no window.
    if (!serverActionsWired && options.serverActionSocketId !== false) {
      serverActionsWired = true;
      sendSocketIdWithServerActions(client);
    }
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
      transition('waiting');
      attempt = 0;
      scheduleAttempt(fullJitterDelay(0, { baseMs: Math.min(reconnect.baseMs, 1000), capMs: reconnect.capMs }));
    });
  };

  const reauth = createReauthentication({
    credentials,
    connectedTransport: () => (phase === 'connected' ? transport : undefined),
    generation: () => generation,
    isConnected: () => phase === 'connected',
    lastError: () => lastError,
    reconnect: () => {
      const connected = waitForConnection();
      transition('connecting', { restart: true });
      void beginAttempt();
      return connected;
    },
    reauthenticated: (rotationId) => events.emit('reauthenticated', { rotationId }),
    reauthFailed: (error) => events.emit('reauth_failed', error),
    authFailed,
    spreadMs: options.reauthSpreadMs ?? 2000,
    signsInWithToken: () => connectionAuth.signsInWithToken(),
    offerSignIn: (signIn) => connectionAuth.offerSignIn(signIn),
  });

  const start = () => {
    if (phase !== 'stopped') return;
    attempt = 0;
    watchNetwork();
    // beginAttempt leaves `stopped` before its first await, so this subscription does not start
    // a second attempt, and is in the token's channel list.
    void beginAttempt();
    if (options.systemEvents !== false && !systemSubscription) {
      systemSubscription = channels.subscribe(SYSTEM_CHANNEL, REAUTH_REQUIRED_EVENT, (data) => reauth.onReauthRequired(data as ReauthRequired));
    }
  };

  /** Subscribing connects, unless the client stopped on an error only `connect()` should clear. */
  const startIfIdle = () => {
    if (phase === 'stopped' && (state === 'idle' || state === 'disconnected')) start();
  };

  /** Resolves on the next `connected`; rejects when the client stops instead. */
  const waitForConnection = () =>
    new Promise<void>((resolve, reject) => {
      const off = client.onStateChange((next, error) => {
        if (next === 'connected') resolve();
        else if (isStoppedState(next)) reject(error ?? lastError ?? new RealtimeError('closed', `the connection ended in state ${next}`));
        else return;
        off();
      });
    });

  function onTransportState(next: TransportConnectionState, error?: Error) {
    if (phase !== 'connecting' && phase !== 'connected') return;
    switch (next) {
      case 'connected':
        if (phase === 'connected') return;
        // A connection that still has to sign in (Ably, below) counts as a successful attempt only
        // once it did: a refused one (too_many_connections) keeps backing off.
        if (!connectionAuth.needsTokenSignIn()) attempt = 0;
        transition('connected', { state: 'connected' });
        void connectionAuth.signInWithToken();
        return;
      case 'reconnecting':
        // Without an error, while an attempt is under way, this is the SDK saying "connecting
        // again" (Ably after a previous connection); the attempt itself is still running.
        if (!error && phase === 'connecting') return;
        if (isRealtimeError(error, 'token_expired')) {
          // A token-based SDK (Ably) renews an expired token in place, fetching a fresh one through
          // fetchToken and resuming the same connection (no message lost): let it, within the
          // connect timeout, instead of closing and starting over.
          transition('connecting', { state: 'reconnecting', error });
          const renewing = generation;
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
      const connected = waitForConnection();
      if (phase === 'stopped') start();
      return connected;
    },
    disconnect() {
      const wasOpen = state === 'connecting' || state === 'connected' || state === 'reconnecting';
      transition('stopped', wasOpen ? { state: 'disconnected' } : {});
    },
    subscribe: (channel: string, event: string, handler: EventHandler<any>) => channels.subscribe(channel, event, handler),
    subscribeAll: (channel, handler) => channels.subscribeAll(channel, handler),
    onPresence: (channel, listener) => channels.onPresence(channel, listener),
    whenSubscribed(channel) {
      // A client stopped on an error will not subscribe anything until connect() is called.
      const stopped = phase === 'stopped' && (state === 'failed' || state === 'auth_failed');
      return channels.whenSubscribed(channel, stopped ? lastError ?? new RealtimeError('closed', `the client is in state ${state}`) : undefined);
    },
    subscriptionStatus: (channel) => channels.status(channel),
    whisper(channel, event, data) {
      if (channelKind(channel) === 'public') {
        throw new RealtimeError('invalid_channel', 'client events can only be sent on private and presence channels');
      }
      if (!transport || phase !== 'connected') throw new RealtimeError('closed', 'not connected');
      transport.trigger(channel, event.startsWith(CLIENT_EVENT_PREFIX) ? event : `${CLIENT_EVENT_PREFIX}${event}`, data);
    },
    resumeFrom: (channel, cursor) => recovery.resumeFrom(channel, cursor),
    cursor: (channel) => recovery.cursor(channel),
    members: (channel) => transport?.members(channel) ?? [],
    onStateChange(listener) {
      stateListeners.add(listener);
      return () => stateListeners.delete(listener);
    },
    on: (event, listener) => events.on(event, listener),
    reauthenticate: () => reauth.reauthenticate(),
    socketIdHeaders: () => socketIdHeaders(client),
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

/** `{ 'X-Socket-ID': id }` for a client that is connected, else `{}`. */
export function socketIdHeaders(client: Pick<RealtimeClient, 'socketId'>): Record<string, string> {
  const headers: Record<string, string> = {};
  if (client.socketId) headers[SOCKET_ID_HEADER] = client.socketId;
  return headers;
}
