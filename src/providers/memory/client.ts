import { channelKind } from '../../core/channels.js';
import { RealtimeError } from '../../core/errors.js';
import type {
  ChannelAuthorizer,
  ClientTransport,
  ConnectionState,
  PresenceMember,
  TransportChannelCallbacks,
  UserAuthenticator,
} from '../../core/provider.js';
import { getMemoryHub, type MemorySocket } from './hub.js';

export interface MemoryTransportOptions {
  /** Hub name (default 'default'), the same as the server's `hub`. */
  hub?: string | undefined;
  authorizeChannel: ChannelAuthorizer;
  /** When given, the connection signs in as a user (so `terminateUser` can find it). */
  authenticateUser?: UserAuthenticator | undefined;
}

/**
 * The memory provider's browser side. Like the Pusher transport it never reconnects by itself:
 * a dropped connection (hub.setAvailable(false), the stand-in for a server restart) or a failed
 * attempt is reported as `reconnecting` and src/client decides when to try again.
 */
export function createMemoryTransport(options: MemoryTransportOptions): ClientTransport {
  const hub = getMemoryHub(options.hub);
  const listeners = new Set<(state: ConnectionState, error?: Error) => void>();
  const channels = new Map<string, TransportChannelCallbacks>();
  let socket: MemorySocket | undefined;
  let state: ConnectionState = 'idle';

  const setState = (next: ConnectionState, error?: Error) => {
    if (next === state && !error) return;
    state = next;
    for (const listener of [...listeners]) listener(next, error);
  };

  const join = async (channel: string, callbacks: TransportChannelCallbacks) => {
    const current = socket;
    if (!current) return;
    try {
      const authorization =
        channelKind(channel) === 'public' ? undefined : await options.authorizeChannel({ socketId: current.id, channel });
      if (socket !== current || channels.get(channel) !== callbacks) return;
      await hub.join(current.id, channel, authorization);
      callbacks.onSubscribed();
    } catch (error) {
      if (socket !== current || channels.get(channel) !== callbacks) return;
      callbacks.onError(error instanceof Error ? error : new Error(String(error)));
    }
  };

  /** The connection ended without us asking. */
  const closed = (id: string, next: 'reconnecting' | 'disconnected', error: Error) => {
    if (socket?.id !== id) return;
    socket = undefined;
    setState(next, error);
  };

  return {
    get socketId() {
      return state === 'connected' ? socket?.id : undefined;
    },
    connect() {
      if (socket || state === 'connecting') return;
      setState('connecting');
      // Connected on a later tick, as over a network, so callers see 'connecting' first.
      setTimeout(async () => {
        if (state !== 'connecting' || socket) return;
        let created: MemorySocket;
        try {
          created = hub.connect((id) => ({
            id,
            userId: undefined,
            deliver: (event) => channels.get(event.channel)?.onEvent(event),
            memberAdded: (channel, member) => channels.get(channel)?.onMemberAdded?.(member),
            memberRemoved: (channel, member) => channels.get(channel)?.onMemberRemoved?.(member),
            terminated: (reason) => closed(id, 'disconnected', new RealtimeError('closed', reason, { provider: 'memory' })),
            dropped: (reason) =>
              closed(id, 'reconnecting', new RealtimeError('provider_unavailable', reason, { provider: 'memory', retryable: true })),
          }));
        } catch (error) {
          state = 'idle';
          setState('reconnecting', error as Error);
          return;
        }
        socket = created;
        try {
          if (options.authenticateUser) await hub.signIn(created.id, await options.authenticateUser({ socketId: created.id }));
        } catch (error) {
          if (socket !== created) return;
          const failure = error as Error & { retryable?: boolean; status?: number };
          // As on the Pusher protocol, a refused sign-in (401/403) leaves the connection open, not
          // signed in (an anonymous visitor); src/client decides whether that stops the client.
          if (failure.status !== 401 && failure.status !== 403) {
            hub.disconnect(created.id);
            socket = undefined;
            setState(failure.retryable ? 'reconnecting' : 'failed', failure);
            return;
          }
        }
        if (socket !== created) return;
        setState('connected');
        for (const [channel, callbacks] of channels) void join(channel, callbacks);
      }, 0);
    },
    disconnect() {
      if (socket) hub.disconnect(socket.id);
      socket = undefined;
      if (state === 'connecting' || state === 'connected') setState('disconnected');
    },
    onStateChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    subscribe(channel, callbacks) {
      channels.set(channel, callbacks);
      if (state === 'connected') void join(channel, callbacks);
    },
    unsubscribe(channel) {
      channels.delete(channel);
      if (socket) hub.leave(socket.id, channel);
    },
    trigger(channel, event, data) {
      if (!socket) throw new RealtimeError('closed', 'not connected', { provider: 'memory' });
      hub.whisper(socket.id, channel, event, data);
    },
    members(channel): PresenceMember[] {
      return hub.members(channel);
    },
    /** Signs in again and re-authorises private and presence channels on the same socket (as pusher/client.ts). */
    async reauthenticate(reauthOptions) {
      const current = socket;
      if (!current || state !== 'connected') return;
      if (options.authenticateUser) {
        await hub.signIn(current.id, await options.authenticateUser({ socketId: current.id }));
        if (reauthOptions?.recheckChannels === false) return;
      }
      await Promise.all(
        [...channels.entries()]
          .filter(([channel]) => channelKind(channel) !== 'public')
          .map(async ([channel, callbacks]) => {
            try {
              const authorization = await options.authorizeChannel({ socketId: current.id, channel });
              if (socket === current) await hub.join(current.id, channel, authorization);
            } catch (error) {
              const status = (error as { status?: number }).status;
              if (status !== 401 && status !== 403 && (error as RealtimeError).code !== 'forbidden') throw error;
              // The policy no longer allows this channel: leave it.
              if (socket === current) hub.leave(current.id, channel);
              callbacks.onError(error as Error);
            }
          }),
      );
    },
  };
}
