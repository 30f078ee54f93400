import PusherModule from 'pusher-js';
import type * as PusherTypes from 'pusher-js';
import type * as PusherCore from 'pusher-js/types/src/core/pusher.js';
import { RealtimeError } from '../../core/errors.js';
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

const STATES: Record<string, ConnectionState> = {
  initialized: 'idle',
  connecting: 'connecting',
  connected: 'connected',
  unavailable: 'reconnecting',
  failed: 'failed',
  disconnected: 'disconnected',
};

/** pusher-js behind the transport interface; used for both Pusher cloud and Soketi. */
export function createPusherTransport(options: PusherTransportOptions): ClientTransport {
  const listeners = new Set<(state: ConnectionState, error?: Error) => void>();
  let pusher: Pusher | undefined;
  let everConnected = false;

  const emit = (state: ConnectionState, error?: Error) => {
    for (const listener of listeners) listener(state, error);
  };

  const create = (): Pusher => {
    const client = new Pusher(options.key, {
      cluster: options.cluster ?? 'mt1',
      ...(options.host
        ? {
            wsHost: options.host,
            wsPort: options.port ?? (options.useTLS ? 443 : 80),
            wssPort: options.port ?? 443,
            enabledTransports: ['ws', 'wss'],
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
            (error: Error) => callback(error, null),
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
    client.connection.bind('state_change', ({ current }: { current: string }) => {
      let state = STATES[current] ?? 'connecting';
      if (state === 'connected') everConnected = true;
      else if (state === 'connecting' && everConnected) state = 'reconnecting';
      emit(state);
    });
    client.connection.bind('error', (error: unknown) => {
      const detail = (error as { error?: { data?: { code?: number; message?: string } } })?.error?.data;
      if (detail?.code !== undefined) {
        emit('reconnecting', new RealtimeError('provider_unavailable', `connection error ${detail.code}: ${detail.message ?? ''}`));
      }
    });
    if (options.authenticateUser) client.signin();
    return client;
  };

  return {
    get socketId() {
      return pusher?.connection.socket_id || undefined;
    },
    connect() {
      if (pusher) {
        pusher.connect();
        return;
      }
      pusher = create();
    },
    disconnect() {
      pusher?.disconnect();
    },
    onStateChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    subscribe(name, callbacks) {
      pusher ??= create();
      const channel: PusherChannel = pusher.subscribe(name);
      channel.unbind_global();
      channel.bind_global((event: string, data: any, metadata?: { user_id?: string }) => {
        switch (event) {
          case 'pusher:subscription_succeeded':
            callbacks.onSubscribed();
            return;
          case 'pusher:subscription_error':
            callbacks.onError(subscriptionError(name, data));
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
    },
    unsubscribe(name) {
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
  };
}

function subscriptionError(channel: string, data: { status?: number; error?: string; type?: string } | undefined): RealtimeError {
  const status = data?.status;
  const code = status === 401 ? 'unauthorized' : status === 403 ? 'forbidden' : 'provider_rejected';
  return new RealtimeError(code, `subscription to ${channel} failed${status ? ` (${status})` : ''}: ${data?.error ?? data?.type ?? 'unknown error'}`, {
    ...(status ? { status } : {}),
  });
}
