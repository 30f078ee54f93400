import { assertChannelName } from '../core/channels.js';
import { isRealtimeError, RealtimeError } from '../core/errors.js';
import type { ClientTransport, IncomingEvent, PresenceMember } from '../core/provider.js';
import { fullJitterDelay, type ResolvedReconnectOptions } from './backoff.js';
import { isTerminalAuthError } from './credentials.js';
import { safely } from './listeners.js';
import type { IfEventsRegistered, KnownChannelEventArgs } from '../core/eventDefinitions.js';

export interface EventMeta {
  channel: string;
  event: string;
  /** Sender of a client event on a presence channel, when the provider says. */
  userId?: string | undefined;
  /** History channels: the event's id (unique per publish) and the cursor after it. */
  id?: string | undefined;
  cursor?: string | undefined;
}

/** An event on its way to the handlers, with its history meta when it has one. */
export interface DeliveredEvent extends IncomingEvent {
  id?: string | undefined;
  cursor?: string | undefined;
}
export type EventHandler<T = unknown> = (data: T, meta: EventMeta) => void;
/** Receives every event of a channel (useChannel). */
export type ChannelEventHandler = IfEventsRegistered<
  (...args: KnownChannelEventArgs<EventMeta>) => void,
  (event: string, data: unknown, meta: EventMeta) => void
>;
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

/** What the registry needs from the client that owns it. */
export interface ChannelRegistryHost {
  /** The transport channels are attached to, once loaded. */
  transport(): ClientTransport | undefined;
  /** Whether the connection is up (a refused channel is only retried then). */
  isConnected(): boolean;
  /** A listener was added: the client connects if it is idle. */
  onListenerAdded(): void;
  onSubscribed(channel: string): void;
  onSubscriptionError(channel: string, error: Error): void;
  /**
   * Every event the transport delivers goes here when set (history recovery, which orders,
   * de-duplicates and recovers, then calls `deliver`); otherwise straight to the handlers.
   */
  onEvent?(channel: string, incoming: IncomingEvent): void;
  /** A channel was added (before its subscription starts) / left. */
  onChannelAdded?(channel: string): void;
  onChannelRemoved?(channel: string): void;
  reconnect: ResolvedReconnectOptions;
}

export interface ChannelRegistry {
  /** Channels something listens on (for the token's `?channel=` list). */
  names(): string[];
  subscribe(channel: string, event: string, handler: EventHandler<any>): Unsubscribe;
  subscribeAll(channel: string, handler: ChannelEventHandler): Unsubscribe;
  onPresence(channel: string, listener: PresenceListener): Unsubscribe;
  status(channel: string): SubscriptionStatus | undefined;
  /** Resolves once confirmed, rejects if refused; `stopped` is the error of a client that will not connect. */
  whenSubscribed(channel: string, stopped: Error | undefined): Promise<void>;
  /** A new transport: attach every channel to it. */
  attachAll(transport: ClientTransport): void;
  /** The connection is gone: every subscription has to be confirmed again. */
  markAllPending(): void;
  rejectWaiters(error: Error): void;
  /** Hands an event to the channel's handlers (for `onEvent`). */
  deliver(channel: string, event: DeliveredEvent): void;
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

/**
 * The client's channels: one transport subscription per channel however many handlers listen
 * (reference counted, left a tick after the last handler goes, so React StrictMode's remount
 * reuses it), the handlers and presence listeners, and the promises waiting for a confirmation.
 *
 * Two moments other modules hook into are single functions here: `deliver` (an event reaches
 * the channel's handlers) and `subscribed` (the channel is confirmed, again after every reconnect).
 */
export function createChannelRegistry(host: ChannelRegistryHost): ChannelRegistry {
  const channels = new Map<string, ChannelEntry>();
  const isCurrent = (entry: ChannelEntry) => channels.get(entry.name) === entry;

  const settle = (entry: ChannelEntry) => {
    for (const waiter of entry.waiters.splice(0)) {
      if (entry.status === 'subscribed') waiter.resolve();
      else waiter.reject(entry.error ?? new RealtimeError('forbidden', `subscription to ${entry.name} failed`));
    }
  };

  const notifyPresence = (entry: ChannelEntry, type: PresenceChange['type'], member?: PresenceMember) => {
    if (entry.presence.size === 0) return;
    const change: PresenceChange = { type, member, members: host.transport()?.members(entry.name) ?? [] };
    for (const listener of [...entry.presence]) safely(() => listener(change));
  };

  /** An event reaches the channel's handlers. */
  const deliver = (entry: ChannelEntry, incoming: DeliveredEvent) => {
    const meta: EventMeta = { channel: entry.name, event: incoming.event, userId: incoming.userId };
    if (incoming.id !== undefined) {
      meta.id = incoming.id;
      meta.cursor = incoming.cursor;
    }
    // Copies: a handler that unsubscribes while we iterate must not skip its neighbours.
    for (const handler of [...(entry.handlers.get(incoming.event) ?? [])]) safely(() => handler(incoming.data, meta));
    for (const handler of [...entry.allHandlers]) safely(() => handler(incoming.event, incoming.data, meta));
  };

  /** The provider confirmed the channel's subscription (the first time or after a reconnect). */
  const subscribed = (entry: ChannelEntry) => {
    entry.failedAttempts = 0;
    entry.status = 'subscribed';
    entry.error = undefined;
    settle(entry);
    host.onSubscribed(entry.name);
    notifyPresence(entry, 'subscribed');
  };

  const refused = (entry: ChannelEntry, error: Error) => {
    entry.status = 'failed';
    entry.error = error;
    settle(entry);
    host.onSubscriptionError(entry.name, error);
    // The provider SDKs give up on a channel whose authorization failed; when the failure was
    // the network's or the server's (not the policy's), try again with the same backoff.
    if (!isRetryableSubscriptionError(error) || entry.failedAttempts >= host.reconnect.maxAttempts) return;
    clearTimeout(entry.retryTimer);
    const delayMs = fullJitterDelay(entry.failedAttempts++, host.reconnect);
    entry.retryTimer = setTimeout(() => {
      entry.retryTimer = undefined;
      const transport = host.transport();
      if (isCurrent(entry) && entry.status === 'failed' && host.isConnected() && transport) {
        entry.status = 'pending';
        entry.error = undefined;
        attach(transport, entry);
      }
    }, delayMs);
  };

  const attach = (transport: ClientTransport, entry: ChannelEntry) => {
    transport.subscribe(entry.name, {
      onEvent: (incoming) => isCurrent(entry) && (host.onEvent ? host.onEvent(entry.name, incoming) : deliver(entry, incoming)),
      onSubscribed: () => isCurrent(entry) && subscribed(entry),
      onError: (error) => isCurrent(entry) && refused(entry, error),
      onMemberAdded: (member) => isCurrent(entry) && notifyPresence(entry, 'member_added', member),
      onMemberRemoved: (member) => isCurrent(entry) && notifyPresence(entry, 'member_removed', member),
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
    host.onChannelAdded?.(channel);
    const transport = host.transport();
    if (transport) attach(transport, entry);
    return entry;
  };

  /**
   * Leaves the channel a tick after its last listener went: React StrictMode's unmount and
   * remount, or a listener moving between components, then keeps the one subscription.
   */
  const release = (entry: ChannelEntry) => {
    if (referenceCount(entry) > 0 || !isCurrent(entry) || entry.leaveTimer) return;
    entry.leaveTimer = setTimeout(() => {
      entry.leaveTimer = undefined;
      if (referenceCount(entry) > 0 || !isCurrent(entry)) return;
      channels.delete(entry.name);
      host.onChannelRemoved?.(entry.name);
      clearTimeout(entry.retryTimer);
      host.transport()?.unsubscribe(entry.name);
      for (const waiter of entry.waiters.splice(0)) waiter.reject(new RealtimeError('closed', `unsubscribed from ${entry.name}`));
    }, 0);
  };

  /**
   * Adds one listener to a set of the channel and returns the function that removes it (at most
   * once). A Set would merge the same function subscribed twice; the caller's wrapper keeps each
   * subscription its own.
   */
  const hold = <T>(entry: ChannelEntry, set: Set<T>, own: T, removed: () => void = () => {}): Unsubscribe => {
    set.add(own);
    let active = true;
    host.onListenerAdded();
    return () => {
      if (!active) return;
      active = false;
      set.delete(own);
      removed();
      release(entry);
    };
  };

  return {
    names: () => [...channels.keys()],
    subscribe(channel, event, handler) {
      const entry = retain(channel);
      let set = entry.handlers.get(event);
      if (!set) entry.handlers.set(event, (set = new Set()));
      const handlers = set;
      const own: EventHandler<any> = (data, meta) => handler(data, meta);
      return hold(entry, handlers, own, () => {
        if (handlers.size === 0 && entry.handlers.get(event) === handlers) entry.handlers.delete(event);
      });
    },
    subscribeAll(channel, handler) {
      const entry = retain(channel);
      const own: ChannelEventHandler = (event, data, meta) => handler(event, data, meta);
      return hold(entry, entry.allHandlers, own);
    },
    onPresence(channel, listener) {
      const entry = retain(channel);
      const own: PresenceListener = (change) => listener(change);
      return hold(entry, entry.presence, own);
    },
    status: (channel) => channels.get(channel)?.status,
    whenSubscribed(channel, stopped) {
      const entry = channels.get(channel);
      if (!entry) return Promise.reject(new RealtimeError('invalid_channel', `not subscribed to ${channel}`));
      if (entry.status === 'subscribed') return Promise.resolve();
      if (entry.status === 'failed') return Promise.reject(entry.error);
      if (stopped) return Promise.reject(stopped);
      return new Promise((resolve, reject) => entry.waiters.push({ resolve, reject }));
    },
    attachAll(transport) {
      for (const entry of channels.values()) attach(transport, entry);
    },
    markAllPending() {
      for (const entry of channels.values()) {
        entry.status = 'pending';
        entry.error = undefined;
      }
    },
    deliver(channel, event) {
      const entry = channels.get(channel);
      if (entry) deliver(entry, event);
    },
    rejectWaiters(error) {
      for (const entry of channels.values()) {
        for (const waiter of entry.waiters.splice(0)) waiter.reject(error);
      }
    },
  };
}
