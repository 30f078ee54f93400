import { ErrorInfo, Realtime, type ConnectionStateChange, type InboundMessage, type PresenceMessage, type RealtimeChannel } from 'ably';
import { channelKind } from '../../core/channels.js';
import { CLIENT_EVENT_PREFIX } from '../../core/events.js';
import { RealtimeError, isRealtimeError } from '../../core/errors.js';
import type { ClientTransport, ConnectionState, PresenceMember, TokenFetcher, TransportChannelCallbacks } from '../../core/provider.js';
import { CONNECTION_CHANNEL_PREFIX, CONNECTION_CLOSED_EVENT, type ConnectionClosed } from '../../core/systemEvents.js';
import { PRESENCE_CLAIM } from './channels.js';

export interface AblyTransportOptions {
  /** A fresh token for these channels; called before every connect, reconnect and re-auth. */
  fetchToken: TokenFetcher;
  /** A stand-in or proxy: one host and port for REST and realtime, no fallback hosts. */
  endpoint?: string | undefined;
  port?: number | undefined;
  tls?: boolean | undefined;
  /** msgpack (default) or JSON on the wire. */
  useBinaryProtocol?: boolean | undefined;
}

interface ChannelEntry {
  callbacks: TransportChannelCallbacks;
  status: 'pending' | 'subscribed' | 'failed';
  /** Presence: clientId -> (connectionId -> info), so several tabs of one user are one member, as on Pusher. */
  members: Map<string, Map<string, Record<string, unknown>>>;
  stop(): void;
}

/** What the current token says, read from the JWT (the client trusts its own server; Ably verifies). */
interface TokenView {
  channels: Set<string> | undefined;
  publish: Set<string>;
  presence: Record<string, Record<string, unknown>>;
  /** The clientId it names; null: an anonymous token; undefined: not readable (an opaque token). */
  identity: string | null | undefined;
}

const STATES: Record<string, ConnectionState> = {
  initialized: 'idle',
  connecting: 'connecting',
  connected: 'connected',
  disconnected: 'reconnecting',
  suspended: 'reconnecting',
  closing: 'disconnected',
  closed: 'disconnected',
  failed: 'failed',
};

/** Ably: token revoked (our terminateUser / rotation deadline). */
const TOKEN_REVOKED = 40141;

/**
 * ably-js Realtime behind the transport interface.
 *
 * Credentials: `authCallback` asks `fetchToken` for a fresh token every time ably-js needs one
 * (connect, reconnect, expiry, `reauthenticate()`), for exactly the channels this client wants; a
 * token is never reused. Subscribing to a channel the current token does not cover first
 * re-authorises in place (`auth.authorize()`, the connection stays up), then attaches.
 *
 * Events: server events arrive without a clientId (published with the API key); a browser's
 * messages always carry its clientId. A non-`client-` event that carries a clientId was published
 * by a browser pretending to be the server and is dropped.
 */
export function createAblyTransport(options: AblyTransportOptions): ClientTransport {
  const listeners = new Set<(state: ConnectionState, error?: Error) => void>();
  const entries = new Map<string, ChannelEntry>();
  let requested = new Set<string>();
  let token: TokenView = { channels: new Set(), publish: new Set(), presence: {}, identity: undefined };
  /** Who the live connection is (the identity of the token it connected with), until connect() starts a new one. */
  let connectionIdentity: TokenView['identity'];
  /** A token for another identity arrived: the client reconnects; what the old connection was doing ends quietly. */
  let switchingIdentity = false;
  let everConnected = false;
  let terminated = false;
  let authorizing: Promise<void> | undefined;
  /** Why the last token fetch failed: reported as is, rather than as ably-js's wrapper (80019). */
  let tokenFetchError: RealtimeError | undefined;
  /** Why the server is about to revoke this connection's token (sent on the connection channel just before). */
  let closingBecause: ConnectionClosed | undefined;
  /** disconnect() was called and no connect() since. */
  let closedByClient = false;

  const emit = (state: ConnectionState, error?: Error) => {
    for (const listener of listeners) listener(state, error);
  };

  const realtime = new Realtime({
    autoConnect: false,
    // Pusher semantics: a client does not receive its own client events, and a publish with its
    // socket id (connection key) skips it.
    echoMessages: false,
    logLevel: 0,
    ...(options.useBinaryProtocol === undefined ? {} : { useBinaryProtocol: options.useBinaryProtocol }),
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.tls === undefined ? {} : { tls: options.tls }),
    ...(options.port ? { port: options.port, tlsPort: options.port, fallbackHosts: [] } : {}),
    authCallback: (_params, callback) => {
      if (terminated) {
        callback(new ErrorInfo('this connection was closed by the server (token revoked)', 40300, 403), null);
        return;
      }
      const channels = [...entries.keys()];
      options.fetchToken({ channels }).then(
        (credential) => {
          tokenFetchError = undefined;
          const next = readToken(credential.token, new Set(channels));
          if (connectionIdentity !== undefined && next.identity !== undefined && next.identity !== connectionIdentity) {
            // Ably never changes a connection's clientId (a re-auth with another one fails the
            // connection, 40102): a visitor who signed in, or a user who signed out, goes on as
            // the new identity on a new connection. The client reconnects; its next attempt
            // fetches a fresh token.
            switchingIdentity = true;
            callback(new ErrorInfo('the token is for another identity: reconnecting', 50000, 500), null);
            emit('reconnecting', new RealtimeError('closed', 'signed in or out: reconnecting as the new identity', { provider: 'ably', retryable: true }));
            return;
          }
          requested = new Set(channels);
          token = next;
          callback(null, tokenForAbly(credential.token));
        },
        (error: unknown) => {
          tokenFetchError = isRealtimeError(error)
            ? error
            : new RealtimeError('provider_unavailable', `fetching a token failed: ${(error as Error)?.message ?? String(error)}`, { retryable: true, cause: error });
          callback(toErrorInfo(error), null);
        },
      );
    },
  });

  const failPending = (error: RealtimeError) => {
    for (const entry of entries.values()) {
      if (entry.status !== 'pending') continue;
      entry.status = 'failed';
      entry.callbacks.onError(error);
    }
  };

  realtime.connection.on((change: ConnectionStateChange) => {
    const reason = change.reason;
    if (change.current === 'disconnected' && reason?.code === TOKEN_REVOKED) {
      // Revocation is how the server closes a user's connections: stay closed, like Pusher's
      // terminate_connections, instead of fetching a new token and coming straight back.
      terminated = true;
      realtime.close();
      // Say why when the server did (logout, or a rotation deadline this connection missed), as on Pusher.
      const because = closingBecause;
      emit(
        'disconnected',
        because
          ? new RealtimeError('closed', because.message, {
              provider: 'ably',
              retryable: false,
              details: { ablyCode: TOKEN_REVOKED, reason: because.reason, ...(because.rotationId ? { rotationId: because.rotationId } : {}) },
            })
          : new RealtimeError('unauthorized', 'the server closed this connection (token revoked)', { provider: 'ably' }),
      );
      return;
    }
    if (terminated && change.current !== 'failed') return;
    // The close src/client asked for (disconnect()): it knows; a late 'closed' with a reason
    // must not read as the server closing the connection on purpose.
    if (closedByClient && (change.current === 'closing' || change.current === 'closed')) return;
    if (change.current === 'disconnected' || change.current === 'suspended') {
      // ably-js would reconnect with its cached token; forget it so the next attempt fetches a
      // fresh one (the old one may have expired or been revoked meanwhile).
      (realtime.auth as unknown as { tokenDetails: unknown }).tokenDetails = null;
    }
    let state = STATES[change.current] ?? 'connecting';
    if (state === 'connected') {
      everConnected = true;
      connectionIdentity = token.identity;
    }
    else if (state === 'connecting' && everConnected) state = 'reconnecting';
    const error = reason ? (reason.code === 80019 && tokenFetchError ? tokenFetchError : connectionError(reason)) : undefined;
    // Credentials refused (bad signature, unknown key, auth endpoint said no): subscriptions
    // waiting on this connection are told now rather than waiting forever.
    if (error && (error.code === 'invalid_token' || error.code === 'unauthorized' || error.code === 'forbidden')) failPending(error);
    if (change.current === change.previous) return; // an 'update' (e.g. after re-auth): same state
    emit(state, error);
  });

  /** Makes sure the current token grants `channel`, re-authorising in place if not. */
  const ensureGranted = async (channel: string): Promise<void> => {
    for (let round = 0; round < 3; round++) {
      if (token.channels === undefined || token.channels.has(channel)) return;
      // The last token was asked for this channel and did not grant it: attaching will be refused.
      if (requested.has(channel) && !authorizing) return;
      authorizing ??= realtime.auth
        .authorize()
        .then(() => undefined)
        .finally(() => {
          authorizing = undefined;
        });
      await authorizing;
    }
  };

  const whenConnected = (): Promise<void> =>
    realtime.connection.state === 'connected' ? Promise.resolve() : realtime.connection.whenState('connected').then(() => undefined);

  const join = async (name: string, entry: ChannelEntry) => {
    try {
      await whenConnected();
      if (entries.get(name) !== entry) return;
      await ensureGranted(name);
      if (entries.get(name) !== entry) return;
      const channel = realtime.channels.get(name);
      const onMessage = (message: InboundMessage) => deliver(name, entry, message);
      // The listener is registered at once (the attach is what is awaited): an unsubscribe that
      // comes while attaching removes it.
      entry.stop = () => channel.unsubscribe(onMessage);
      await channel.subscribe(onMessage);
      if (entries.get(name) !== entry) return;
      if (channelKind(name) === 'presence') await joinPresence(name, channel, entry);
      if (entries.get(name) !== entry) return;
      // Also after an earlier auth failure was reported: the connection recovered and attached.
      entry.status = 'subscribed';
      entry.callbacks.onSubscribed();
    } catch (error) {
      // Refused only because the connection is about to be replaced (reconnecting as another identity).
      if (switchingIdentity) return;
      if (entries.get(name) !== entry || entry.status === 'failed') return;
      entry.status = 'failed';
      entry.callbacks.onError(channelError(name, error));
    }
  };

  const deliver = (name: string, entry: ChannelEntry, message: InboundMessage) => {
    const event = message.name;
    if (!event) return;
    const isClientEvent = event.startsWith(CLIENT_EVENT_PREFIX);
    if (!isClientEvent && message.clientId) return;
    if (event === CONNECTION_CLOSED_EVENT && name.startsWith(CONNECTION_CHANNEL_PREFIX)) {
      const reason = message.data as ConnectionClosed | undefined;
      if (reason && typeof reason.message === 'string') closingBecause = reason;
    }
    entry.callbacks.onEvent({ channel: name, event, data: message.data, userId: isClientEvent ? message.clientId : undefined });
  };

  const joinPresence = async (name: string, channel: RealtimeChannel, entry: ChannelEntry) => {
    const self = realtime.auth.clientId;
    const add = (member: PresenceMessage) => {
      if (!member.clientId) return;
      let connections = entry.members.get(member.clientId);
      const isNew = !connections;
      if (!connections) entry.members.set(member.clientId, (connections = new Map()));
      connections.set(member.connectionId, infoOf(member.data));
      if (isNew && member.clientId !== self) entry.callbacks.onMemberAdded?.({ id: member.clientId, info: infoOf(member.data) });
    };
    const remove = (member: PresenceMessage) => {
      const connections = member.clientId ? entry.members.get(member.clientId) : undefined;
      if (!connections) return;
      connections.delete(member.connectionId);
      if (connections.size > 0) return;
      entry.members.delete(member.clientId);
      if (member.clientId !== self) entry.callbacks.onMemberRemoved?.({ id: member.clientId, info: infoOf(member.data) });
    };
    const onPresence = (member: PresenceMessage) => (member.action === 'leave' ? remove(member) : add(member));
    const stopMessages = entry.stop;
    entry.stop = () => {
      stopMessages();
      channel.presence.unsubscribe(onPresence);
      void channel.presence.leave().catch(() => undefined);
    };
    await channel.presence.subscribe(onPresence);
    if (entries.get(name) !== entry) return;
    const info = token.presence[name] ?? {};
    await channel.presence.enter(info);
    if (entries.get(name) !== entry) return;
    if (self) add({ clientId: self, connectionId: realtime.connection.id ?? 'self', data: info } as PresenceMessage);
    for (const member of await channel.presence.get()) add(member);
  };

  return {
    get socketId() {
      return realtime.connection.state === 'connected' ? (realtime.connection.key ?? undefined) : undefined;
    },
    get connectionId() {
      return realtime.connection.state === 'connected' ? (realtime.connection.id ?? undefined) : undefined;
    },
    get userId() {
      return realtime.connection.state === 'connected' ? (realtime.auth.clientId ?? undefined) : undefined;
    },
    connect() {
      terminated = false;
      closingBecause = undefined;
      // A new connection: whoever its first token names.
      connectionIdentity = undefined;
      switchingIdentity = false;
      const reopen = () => {
        const reattach = closedByClient;
        closedByClient = false;
        realtime.connect();
        // ably-js leaves channels detached after close(): attach every subscription again (the
        // client's contract: subscriptions come back on the next connect), each confirmed again
        // through onSubscribed, which is where src/client recovers history channels.
        if (!reattach) return;
        for (const [name, entry] of [...entries]) {
          entry.stop();
          const fresh: ChannelEntry = { callbacks: entry.callbacks, status: 'pending', members: new Map(), stop: () => {} };
          entries.set(name, fresh);
          void join(name, fresh);
        }
      };
      // connect() while the previous close is still under way would be refused ("Connection closing").
      if (realtime.connection.state === 'closing') realtime.connection.once('closed', reopen);
      else reopen();
    },
    disconnect() {
      closedByClient = true;
      realtime.close();
    },
    onStateChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    subscribe(name, callbacks) {
      entries.get(name)?.stop();
      const entry: ChannelEntry = { callbacks, status: 'pending', members: new Map(), stop: () => {} };
      entries.set(name, entry);
      void join(name, entry);
    },
    unsubscribe(name) {
      const entry = entries.get(name);
      if (!entry) return;
      entries.delete(name);
      entry.stop();
      if (realtime.connection.state === 'connected') void realtime.channels.get(name).detach().catch(() => undefined);
    },
    trigger(name, event, data) {
      const entry = entries.get(name);
      if (entry?.status !== 'subscribed') throw new RealtimeError('closed', `not subscribed to ${name}`, { provider: 'ably' });
      if (!token.publish.has(name) && token.channels !== undefined) {
        throw new RealtimeError('forbidden', `this client's token does not allow client events on ${name}`, { provider: 'ably' });
      }
      // JSON text + encoding, exactly as the server publishes: every Ably client decodes the value.
      void realtime.channels
        .get(name)
        .publish({ name: event, data: JSON.stringify(data), encoding: 'json' })
        .catch(() => undefined);
    },
    members(name): PresenceMember[] {
      const entry = entries.get(name);
      if (!entry) return [];
      return [...entry.members].map(([id, connections]) => ({ id, info: [...connections.values()][0] ?? {} }));
    },
    async reauthenticate() {
      try {
        await realtime.auth.authorize();
      } catch (error) {
        throw connectionError(error as ErrorInfo);
      }
    },
  };
}

function infoOf(data: unknown): Record<string, unknown> {
  return data && typeof data === 'object' && !Array.isArray(data) ? (data as Record<string, unknown>) : {};
}

/** A TokenRequest (JSON object text) is handed to ably-js as an object; anything else is a token/JWT. */
function tokenForAbly(token: string): string {
  if (token.startsWith('{')) return JSON.parse(token);
  return token;
}

function decodeJwtPayload(token: string): Record<string, unknown> | undefined {
  const part = token.split('.')[1];
  if (!part) return undefined;
  try {
    const base64 = part.replace(/-/g, '+').replace(/_/g, '/');
    const binary = atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4));
    const bytes = Uint8Array.from(binary, (char) => char.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

function readToken(token: string, requested: Set<string>): TokenView {
  const payload = token.startsWith('{') ? undefined : decodeJwtPayload(token);
  const capabilityText = token.startsWith('{') ? (JSON.parse(token) as { capability?: string }).capability : payload?.['x-ably-capability'];
  if (typeof capabilityText !== 'string') {
    // An opaque Ably token: assume it covers what was asked; Ably refuses an attach if not.
    return { channels: new Set(requested), publish: new Set(requested), presence: {}, identity: undefined };
  }
  const capability = JSON.parse(capabilityText) as Record<string, string[]>;
  const publish = new Set(Object.entries(capability).filter(([, operations]) => operations.includes('publish') || operations.includes('*')).map(([channel]) => channel));
  const presence = (payload?.[PRESENCE_CLAIM] ?? {}) as Record<string, Record<string, unknown>>;
  const clientId = token.startsWith('{') ? (JSON.parse(token) as { clientId?: unknown }).clientId : payload?.['x-ably-clientId'];
  return { channels: new Set(Object.keys(capability)), publish, presence, identity: typeof clientId === 'string' && clientId !== '' ? clientId : null };
}

function toErrorInfo(error: unknown): ErrorInfo {
  const message = error instanceof Error ? error.message : String(error);
  // ably-js fails the connection on 403 (terminal: logged out, not allowed) and retries otherwise.
  const terminal = isRealtimeError(error) && !error.retryable;
  return new ErrorInfo(`fetching a token failed: ${message}`, terminal ? 40300 : 50000, terminal ? 403 : 500);
}

function connectionError(reason: ErrorInfo | { code?: number; statusCode?: number; message?: string }): RealtimeError {
  const code = reason.code ?? 0;
  const status = reason.statusCode;
  const realtimeCode =
    code === 40142
      ? 'token_expired'
      : code >= 40140 && code < 40150
        ? 'invalid_token'
        : code === 80019 && status === 403
          ? 'forbidden'
          : status === 401 || (code >= 40100 && code < 40200)
            ? 'unauthorized'
            : status === 403
              ? 'forbidden'
              : 'provider_unavailable';
  return new RealtimeError(realtimeCode, `ably connection: ${reason.message ?? 'error'} (${code})`, {
    provider: 'ably',
    ...(status ? { status } : {}),
    details: { ablyCode: code },
  });
}

function channelError(channel: string, error: unknown): RealtimeError {
  if (isRealtimeError(error)) return error;
  const info = error as { code?: number; statusCode?: number; message?: string };
  const code = info?.code === 40160 || info?.statusCode === 401 || info?.statusCode === 403 ? 'forbidden' : 'provider_rejected';
  return new RealtimeError(code, `subscription to ${channel} failed: ${info?.message ?? String(error)}`, {
    provider: 'ably',
    ...(info?.statusCode ? { status: info.statusCode } : {}),
  });
}
