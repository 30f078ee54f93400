import PusherModule from 'pusher-js';
import type * as PusherTypes from 'pusher-js';
import type * as PusherCore from 'pusher-js/types/src/core/pusher.js';
import { channelKind } from '../../core/channels.js';
import { RealtimeError } from '../../core/errors.js';
import { CONNECTION_CLOSED_EVENT, type ConnectionClosed } from '../../core/systemEvents.js';
import type {
  ChannelAuthorizer,
  ClientTransport,
  ConnectionState,
  PresenceMember,
  TransportChannelCallbacks,
  UserAuthenticator,
} from '../../core/provider.js';

export interface PusherTransportOptions {
  key: string;
  /** Pusher cloud cluster; ignored when `host` is set. */
  cluster?: string | undefined;
  /** A Pusher-protocol server you run (Soketi). */
  host?: string | undefined;
  port?: number | undefined;
  useTLS: boolean;
  authorizeChannel: ChannelAuthorizer;
  authenticateUser?: UserAuthenticator | undefined;
}

type Pusher = PusherCore.default;
type PusherChannel = PusherTypes.Channel;
// pusher-js ships a UMD bundle whose types describe an ES module: at run time (Node ESM and every
// bundler) the default import is the class itself, while the types see a namespace with `default`.
const Pusher = ((PusherModule as { default?: unknown }).default ?? PusherModule) as unknown as new (key: string, options: PusherTypes.Options) => Pusher;

/** The parts of pusher-js's ConnectionManager and Connection used here (public in its JS). */
interface PusherSocket {
  bind(event: 'closed', callback: () => void): void;
  unbind(event: 'closed', callback: () => void): void;
}
interface PusherConnectionManager {
  state: string;
  socket_id: string;
  connection: PusherSocket | null;
  connect(): void;
  bind(event: string, callback: (data: any) => void): void;
}

/** pusher-js's close-code error ({ type: 'PusherError', data: { code, message } }) as a RealtimeError. */
function closeError(event: unknown): RealtimeError | undefined {
  const data = (event as { error?: { data?: { code?: number; message?: string } }; data?: { code?: number; message?: string } })?.error?.data
    ?? (event as { data?: { code?: number; message?: string } })?.data;
  if (typeof data?.code !== 'number') return undefined;
  const code = data.code;
  const message = `connection closed with code ${code}${data.message ? `: ${data.message}` : ''}`;
  // 4000-4099: refused for good (4009: user terminated / unauthorized); 4100-4199: over capacity,
  // 4200-4299: restart or going away, both worth retrying after a pause.
  if (code >= 4000 && code < 4100) return new RealtimeError('closed', message, { retryable: false, details: { closeCode: code } });
  return new RealtimeError('provider_unavailable', message, { retryable: true, details: { closeCode: code } });
}

/**
 * pusher-js behind the transport interface; used for both Pusher cloud and Soketi.
 *
 * Reconnecting belongs to src/client, not to pusher-js: pusher-js reconnects at once on close code
 * 4200 (Soketi's restart), one second after a network close, and never with jitter, so after a
 * server restart every client would come back in the same instant. Here pusher-js may only connect
 * while the client asked for a connection (`wantOpen`): its ConnectionManager's `connect` is
 * wrapped so that its own retry timers become no-ops, and the first sign of a lost connection
 * (the socket's `closed`, a refused socket, or a fall from connected back to connecting) turns into
 * `reconnecting` for the client to act on. pusher-js keeps its channel list across `disconnect()`
 * and `connect()`, and re-subscribes (re-authorising private and presence channels through
 * `authorizeChannel`, which carries the client's fresh token) and signs in again on every connect.
 */
export function createPusherTransport(options: PusherTransportOptions): ClientTransport {
  const listeners = new Set<(state: ConnectionState, error?: Error) => void>();
  const channels = new Map<string, TransportChannelCallbacks>();
  /** The last authorization failure per channel: pusher-js only passes its message on. */
  const authErrors = new Map<string, Error>();
  let pusher: Pusher | undefined;
  let manager: PusherConnectionManager | undefined;
  let wantOpen = false;
  let lastCloseError: RealtimeError | undefined;
  /** Why the server is about to close this connection (sent to the user just before a 4009). */
  let closingBecause: ConnectionClosed | undefined;

  const emit = (state: ConnectionState, error?: Error) => {
    for (const listener of [...listeners]) listener(state, error);
  };

  /** The connection is gone while the client wanted it: stop pusher-js and let the client decide. */
  const lost = (error: Error) => {
    if (!wantOpen) return;
    wantOpen = false;
    pusher?.disconnect();
    emit('reconnecting', error);
  };

  const bindChannel = (client: Pusher, name: string) => {
    const channel: PusherChannel = client.subscribe(name);
    channel.unbind_global();
    channel.bind_global((event: string, data: any, metadata?: { user_id?: string }) => {
      const callbacks = channels.get(name);
      if (!callbacks) return;
      switch (event) {
        case 'pusher:subscription_succeeded':
          authErrors.delete(name);
          callbacks.onSubscribed();
          return;
        case 'pusher:subscription_error':
          callbacks.onError(authErrors.get(name) ?? subscriptionError(name, data));
          authErrors.delete(name);
          return;
        case 'pusher:member_added':
          callbacks.onMemberAdded?.({ id: String(data.id), info: data.info ?? {} });
          return;
        case 'pusher:member_removed':
          callbacks.onMemberRemoved?.({ id: String(data.id), info: data.info ?? {} });
          return;
      }
      if (event.startsWith('pusher:') || event.startsWith('pusher_internal:')) return;
      callbacks.onEvent({ channel: name, event, data, userId: metadata?.user_id });
    });
  };

  const create = (): Pusher => {
    const client = new Pusher(options.key, {
      cluster: options.cluster ?? 'mt1',
      ...(options.host
        ? {
            wsHost: options.host,
            wsPort: options.port ?? (options.useTLS ? 443 : 80),
            wssPort: options.port ?? 443,
            // One scheme only: with both, pusher-js falls back to wss:// on a plain ws:// port
            // (and the reverse) after a failed attempt, which can never work on a host you run.
            enabledTransports: options.useTLS ? ['wss'] : ['ws'],
          }
        : {}),
      forceTLS: options.useTLS,
      disableStats: true,
      channelAuthorization: {
        transport: 'ajax',
        endpoint: '',
        customHandler: ({ socketId, channelName }: { socketId: string; channelName: string }, callback: (error: Error | null, data: any) => void) => {
          options.authorizeChannel({ socketId, channel: channelName }).then(
            (authorization) => callback(null, authorization),
            (error: Error) => {
              authErrors.set(channelName, error);
              callback(error, null);
            },
          );
        },
      },
      ...(options.authenticateUser
        ? {
            userAuthentication: {
              transport: 'ajax' as const,
              endpoint: '',
              customHandler: ({ socketId }: { socketId: string }, callback: (error: Error | null, data: any) => void) => {
                options.authenticateUser!({ socketId }).then(
                  (authentication) => callback(null, authentication),
                  (error: Error) => callback(error, null),
                );
              },
            },
          }
        : {}),
    });
    const connection = client.connection as unknown as PusherConnectionManager;
    manager = connection;
    // pusher-js's retry timers call this; only a connect the client asked for may go through.
    const connectNow = connection.connect.bind(connection);
    connection.connect = () => {
      if (wantOpen) connectNow();
    };
    // A connect attempt that fails (connection refused while the server restarts) is invisible
    // in pusher-js's events: its strategy waits up to 15 s before trying again, silently. Its
    // timeline does record the socket error, so an attempt fails as soon as the socket does.
    // The same goes for a socket the server closes before the handshake (a server shutting down).
    const timeline = (client as unknown as { timeline?: { error(event: unknown): void; info(event: unknown): void } }).timeline;
    // pusher-js's strategy gives each socket its own timeout (15 s, doubling up to 60 s) and then
    // opens a new one; the close of the socket it gave up on is not the attempt failing (the
    // client's own attempt timeout decides that), only the close of the newest socket is.
    let newestSocket = -1;
    if (timeline) {
      const attemptFailed = (reason: string) => {
        if (!wantOpen || (connection.state !== 'connecting' && connection.state !== 'unavailable')) return;
        queueMicrotask(() => {
          if (connection.state === 'connecting' || connection.state === 'unavailable') lost(new RealtimeError('provider_unavailable', `could not connect: ${reason}`, { retryable: true }));
        });
      };
      const recordError = timeline.error.bind(timeline);
      timeline.error = (event: unknown) => {
        recordError(event);
        const detail = (event as { error?: unknown })?.error;
        if (detail !== undefined) attemptFailed(describeSocketError(detail));
      };
      const recordInfo = timeline.info.bind(timeline);
      timeline.info = (event: unknown) => {
        recordInfo(event);
        const { cid, state, params } = (event ?? {}) as { cid?: unknown; state?: unknown; params?: { code?: number } };
        if (typeof cid === 'number' && cid > newestSocket) newestSocket = cid;
        if (cid !== undefined && cid === newestSocket && state === 'closed') attemptFailed(`the socket closed${params?.code ? ` (${params.code})` : ''}`);
      };
    }
    let watched: PusherSocket | null = null;
    const onSocketClosed = () => lost(lastCloseError ?? new RealtimeError('provider_unavailable', 'the connection closed', { retryable: true }));
    connection.bind('error', (event: unknown) => {
      lastCloseError = closeError(event) ?? lastCloseError;
    });
    connection.bind('state_change', ({ previous, current }: { previous: string; current: string }) => {
      if (!wantOpen) return; // the echo of a disconnect() we made
      switch (current) {
        case 'connecting':
          // From connected straight to connecting is pusher-js retrying by itself (pong timeout):
          // stop it once its connect() has returned.
          if (previous === 'connected') queueMicrotask(() => lost(lastCloseError ?? new RealtimeError('provider_unavailable', 'the connection timed out', { retryable: true })));
          else emit('connecting');
          return;
        case 'connected':
          if (watched) watched.unbind('closed', onSocketClosed);
          watched = connection.connection;
          watched?.bind('closed', onSocketClosed);
          emit('connected');
          return;
        case 'unavailable':
          // pusher-js's "still not connected after 10 s" (unavailableTimeout): it keeps trying, and
          // so does the attempt, until the client's attempt timeout (which grows per retry) says
          // otherwise. Giving up here would abandon every attempt on a server slower than 10 s.
          return;
        case 'failed':
          wantOpen = false;
          emit('failed', new RealtimeError('not_supported', 'pusher-js found no transport it can use here'));
          return;
        case 'disconnected': {
          // pusher-js disconnected by itself: the server refused the connection (4000-4099).
          // 4009 is a deliberate close (terminate_connections, i.e. logout): stay closed. The
          // others (unknown app key 4001, app disabled 4003, over quota 4004...) are
          // configuration problems no reconnect can fix.
          wantOpen = false;
          let error = lastCloseError ?? new RealtimeError('closed', 'the server closed the connection');
          const closeCode = (error.details as { closeCode?: number } | undefined)?.closeCode;
          if (closeCode === 4009 && closingBecause) {
            // Say why: a logout, or a rotation deadline this connection did not re-authenticate by.
            error = new RealtimeError('closed', closingBecause.message, {
              retryable: false,
              details: { closeCode, reason: closingBecause.reason, ...(closingBecause.rotationId ? { rotationId: closingBecause.rotationId } : {}) },
            });
          }
          // A 4009 the library did not announce is Soketi's user-authentication timeout (or
          // Pusher's authorized connections), not a logout: the client connects again.
          if (closeCode === 4009 && !closingBecause) emit('reconnecting', error);
          else emit(closeCode === undefined || closeCode === 4009 ? 'disconnected' : 'failed', error);
          return;
        }
      }
    });
    for (const name of channels.keys()) bindChannel(client, name);
    if (options.authenticateUser) {
      client.signin();
      (client.user as unknown as { bind(event: string, callback: (data: unknown) => void): void }).bind(CONNECTION_CLOSED_EVENT, (data) => {
        const parsed = typeof data === 'string' ? safeJson(data) : data;
        if (parsed && typeof (parsed as ConnectionClosed).message === 'string') closingBecause = parsed as ConnectionClosed;
      });
    }
    return client;
  };

  return {
    get socketId() {
      return manager?.state === 'connected' ? manager.socket_id || undefined : undefined;
    },
    connect() {
      if (wantOpen) return;
      wantOpen = true;
      lastCloseError = undefined;
      closingBecause = undefined;
      if (pusher) pusher.connect();
      else pusher = create();
    },
    disconnect() {
      wantOpen = false;
      pusher?.disconnect();
    },
    onStateChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    subscribe(name, callbacks) {
      channels.set(name, callbacks);
      if (pusher) bindChannel(pusher, name);
    },
    unsubscribe(name) {
      channels.delete(name);
      authErrors.delete(name);
      pusher?.channel(name)?.unbind_global();
      pusher?.unsubscribe(name);
    },
    trigger(name, event, data) {
      const channel = pusher?.channel(name);
      if (!channel?.subscribed) throw new RealtimeError('closed', `not subscribed to ${name}`);
      if (!channel.trigger(event, data)) throw new RealtimeError('provider_unavailable', 'client event could not be sent');
    },
    members(name): PresenceMember[] {
      const channel = pusher?.channel(name) as (PusherChannel & { members?: { each(fn: (m: { id: string; info: any }) => void): void } }) | undefined;
      const members: PresenceMember[] = [];
      channel?.members?.each((member: { id: string; info: any }) => members.push({ id: String(member.id), info: member.info ?? {} }));
      return members;
    },
    /**
     * Secret rotation on the Pusher protocol: the app's server learns that this socket holds a
     * valid new credential from the auth requests made with the new token. Sign in again (the
     * server re-checks the signature) and re-authorise every private and presence channel; the
     * subscriptions themselves stay as they are, so nothing is dropped and no member leaves. A
     * channel the policy no longer allows is left and reported through its onError. Without a
     * sign-in the channel requests are the only ones that carry the new token, so they are
     * always made then.
     */
    async reauthenticate(reauthOptions) {
      const client = pusher;
      if (!client || manager?.state !== 'connected') return;
      const socketId = manager.socket_id;
      if (options.authenticateUser) {
        const authentication = await options.authenticateUser({ socketId });
        if (manager.socket_id === socketId) client.send_event('pusher:signin', authentication);
        if (reauthOptions?.recheckChannels === false) return;
      }
      const refused: Array<[string, Error]> = [];
      await Promise.all(
        [...channels.keys()]
          .filter((name) => channelKind(name) !== 'public' && client.channel(name)?.subscribed)
          .map(async (name) => {
            try {
              await options.authorizeChannel({ socketId, channel: name });
            } catch (error) {
              const status = (error as { status?: number }).status;
              if (status === 401 || status === 403) refused.push([name, error as Error]);
              else throw error;
            }
          }),
      );
      for (const [name, error] of refused) {
        const callbacks = channels.get(name);
        client.channel(name)?.unbind_global();
        client.unsubscribe(name);
        callbacks?.onError(error);
      }
    },
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function describeSocketError(detail: unknown): string {
  const candidate = detail as { message?: unknown; error?: { message?: unknown }; type?: unknown } | null;
  const message = candidate?.message ?? candidate?.error?.message ?? candidate?.type;
  return typeof message === 'string' && message ? message : 'socket error';
}

function subscriptionError(channel: string, data: { status?: number; error?: string; type?: string } | undefined): RealtimeError {
  const status = data?.status;
  const code = status === 401 ? 'unauthorized' : status === 403 ? 'forbidden' : 'provider_rejected';
  return new RealtimeError(code, `subscription to ${channel} failed${status ? ` (${status})` : ''}: ${data?.error ?? data?.type ?? 'unknown error'}`, {
    ...(status ? { status } : {}),
  });
}
