import { assertChannelName, channelKind } from '../core/channels.js';
import { CLIENT_EVENT_PREFIX } from '../core/events.js';
import { RealtimeError, type ProviderName } from '../core/errors.js';
import type { ClientTransport, ConnectionState, IncomingEvent, PresenceMember, TransportAuth } from '../core/provider.js';
import { defaultChannelAuthorizer, defaultUserAuthenticator } from './authRequests.js';
import { loadClientTransport } from './loadTransport.js';
import { clientOptionsFromEnv, type ClientOptions } from './options.js';

export type EventHandler<T = unknown> = (data: T, meta: { channel: string; event: string; userId?: string | undefined }) => void;
export type Unsubscribe = () => void;

export interface RealtimeClient {
  readonly provider: ProviderName;
  readonly state: ConnectionState;
  /** This connection's id, to exclude it from a publish it caused. Undefined until connected. */
  readonly socketId: string | undefined;
  /** Connects (subscribing connects too). Resolves once connected. */
  connect(): Promise<void>;
  disconnect(): void;
  /** Listens for one event on one channel; returns the function that stops listening. */
  subscribe<T = unknown>(channel: string, event: string, handler: EventHandler<T>): Unsubscribe;
  /** Resolves when the channel's subscription is confirmed; rejects if it was refused. */
  whenSubscribed(channel: string): Promise<void>;
  /** Sends a client event (`client-` prefix added if missing) on a private or presence channel. */
  whisper(channel: string, event: string, data: unknown): void;
  members(channel: string): PresenceMember[];
  onStateChange(listener: (state: ConnectionState, error?: Error) => void): () => void;
}

interface ChannelEntry {
  handlers: Map<string, Set<EventHandler<any>>>;
  status: 'pending' | 'subscribed' | 'failed';
  error?: Error;
  waiters: Array<{ resolve(): void; reject(error: Error): void }>;
}

/**
 * The provider-agnostic browser client. One transport subscription per channel however many
 * handlers listen on it: handlers are counted here, and the channel is left when the last goes.
 */
export function createRealtimeClient(options: ClientOptions = clientOptionsFromEnv()): RealtimeClient {
  const channels = new Map<string, ChannelEntry>();
  const stateListeners = new Set<(state: ConnectionState, error?: Error) => void>();
  let state: ConnectionState = 'idle';
  let transport: ClientTransport | undefined;
  let transportPromise: Promise<ClientTransport> | undefined;
  const auth: TransportAuth = {
    authorizeChannel: defaultChannelAuthorizer(options),
    authenticateUser: defaultUserAuthenticator(options),
    fetchToken: options.getCredentials,
  };

  const setState = (next: ConnectionState, error?: Error) => {
    state = next;
    for (const listener of stateListeners) listener(next, error);
  };

  const ensureTransport = (): Promise<ClientTransport> => {
    transportPromise ??= loadClientTransport(options, auth).then((loaded) => {
      transport = loaded;
      loaded.onStateChange(setState);
      for (const [name, entry] of channels) attach(loaded, name, entry);
      loaded.connect();
      return loaded;
    });
    return transportPromise;
  };

  const settle = (entry: ChannelEntry) => {
    const waiters = entry.waiters.splice(0);
    for (const waiter of waiters) {
      if (entry.status === 'subscribed') waiter.resolve();
      else waiter.reject(entry.error ?? new RealtimeError('forbidden', 'subscription failed'));
    }
  };

  const attach = (target: ClientTransport, name: string, entry: ChannelEntry) => {
    target.subscribe(name, {
      onEvent: (incoming: IncomingEvent) => {
        // Copy: a handler that unsubscribes while we iterate must not skip its neighbours.
        for (const handler of [...(entry.handlers.get(incoming.event) ?? [])]) {
          try {
            handler(incoming.data, { channel: name, event: incoming.event, userId: incoming.userId });
          } catch (error) {
            // One broken handler must not stop delivery to the others.
            queueMicrotask(() => {
              throw error;
            });
          }
        }
      },
      onSubscribed: () => {
        entry.status = 'subscribed';
        settle(entry);
      },
      onError: (error) => {
        entry.status = 'failed';
        entry.error = error;
        settle(entry);
      },
    });
  };

  const client: RealtimeClient = {
    provider: options.provider,
    get state() {
      return state;
    },
    get socketId() {
      return transport?.socketId;
    },
    async connect() {
      const loaded = await ensureTransport();
      if (state === 'connected') return;
      loaded.connect();
      await new Promise<void>((resolve, reject) => {
        const off = client.onStateChange((next, error) => {
          if (next === 'connected') {
            off();
            resolve();
          } else if (next === 'failed') {
            off();
            reject(error ?? new RealtimeError('provider_unavailable', 'connection failed'));
          }
        });
      });
    },
    disconnect() {
      transport?.disconnect();
    },
    subscribe(channel, event, handler) {
      assertChannelName(channel);
      let entry = channels.get(channel);
      if (!entry) {
        entry = { handlers: new Map(), status: 'pending', waiters: [] };
        channels.set(channel, entry);
        if (transport) attach(transport, channel, entry);
        else void ensureTransport().catch((error: Error) => {
          entry!.status = 'failed';
          entry!.error = error;
          settle(entry!);
        });
      }
      let set = entry.handlers.get(event);
      if (!set) entry.handlers.set(event, (set = new Set()));
      set.add(handler);
      const owner = entry;
      let active = true;
      return () => {
        if (!active) return;
        active = false;
        set!.delete(handler);
        if (set!.size === 0) owner.handlers.delete(event);
        if (owner.handlers.size === 0 && channels.get(channel) === owner) {
          channels.delete(channel);
          transport?.unsubscribe(channel);
        }
      };
    },
    whenSubscribed(channel) {
      const entry = channels.get(channel);
      if (!entry) return Promise.reject(new RealtimeError('invalid_channel', `not subscribed to ${channel}`));
      if (entry.status === 'subscribed') return Promise.resolve();
      if (entry.status === 'failed') return Promise.reject(entry.error);
      return new Promise((resolve, reject) => entry.waiters.push({ resolve, reject }));
    },
    whisper(channel, event, data) {
      if (channelKind(channel) === 'public') {
        throw new RealtimeError('invalid_channel', 'client events can only be sent on private and presence channels');
      }
      if (!transport) throw new RealtimeError('closed', 'not connected');
      transport.trigger(channel, event.startsWith(CLIENT_EVENT_PREFIX) ? event : `${CLIENT_EVENT_PREFIX}${event}`, data);
    },
    members(channel) {
      return transport?.members(channel) ?? [];
    },
    onStateChange(listener) {
      stateListeners.add(listener);
      return () => stateListeners.delete(listener);
    },
  };
  return client;
}
