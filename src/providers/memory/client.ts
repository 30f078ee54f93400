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

export function createMemoryTransport(options: MemoryTransportOptions): ClientTransport {
  const hub = getMemoryHub(options.hub);
  const listeners = new Set<(state: ConnectionState, error?: Error) => void>();
  const channels = new Map<string, TransportChannelCallbacks>();
  let socket: MemorySocket | undefined;
  let state: ConnectionState = 'idle';

  const setState = (next: ConnectionState, error?: Error) => {
    if (next === state) return;
    state = next;
    for (const listener of listeners) listener(next, error);
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
      callbacks.onError(error instanceof Error ? error : new Error(String(error)));
    }
  };

  return {
    get socketId() {
      return socket?.id;
    },
    connect() {
      if (socket) return;
      setState('connecting');
      const created = hub.connect((id) => ({
        id,
        userId: undefined,
        deliver: (event) => channels.get(event.channel)?.onEvent(event),
        memberAdded: (channel, member) => channels.get(channel)?.onMemberAdded?.(member),
        memberRemoved: (channel, member) => channels.get(channel)?.onMemberRemoved?.(member),
        terminated: (reason) => {
          if (socket?.id !== id) return;
          socket = undefined;
          setState('disconnected', new RealtimeError('closed', reason, { provider: 'memory' }));
        },
      }));
      socket = created;
      // Connected on a later tick, as over a network, so callers see 'connecting' first.
      setTimeout(async () => {
        if (socket !== created) return;
        try {
          if (options.authenticateUser) await hub.signIn(created.id, await options.authenticateUser({ socketId: created.id }));
        } catch (error) {
          setState('failed', error as Error);
          return;
        }
        setState('connected');
        for (const [channel, callbacks] of channels) void join(channel, callbacks);
      }, 0);
    },
    disconnect() {
      if (!socket) return;
      hub.disconnect(socket.id);
      socket = undefined;
      setState('disconnected');
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
  };
}
