'use client';
import { useCallback, useEffect, useInsertionEffect, useRef, useState, useSyncExternalStore } from 'react';
import type { IfEventsRegistered, KnownEventName, KnownEventPayload } from '../../core/eventDefinitions.js';
import type { PresenceMember } from '../../core/provider.js';
import type {
  ChannelEventHandler,
  ConnectionState,
  EventHandler,
  RealtimeClient,
  SubscriptionStatus,
  WhisperFunction,
} from '../realtimeClient.js';
import { useRealtimeClient } from './RealtimeProvider.js';
import { useHistoryOptions, type HistoryHookOptions } from './historyOptions.js';

export type { HistoryHookOptions };

/**
 * A ref that always holds the latest value: subscriptions call through it, so a new handler on
 * every render neither resubscribes nor loses an event. Updated in an insertion effect, before
 * any layout effect or event can see the new render (and never on the server).
 */
function useLatest<T>(value: T): { readonly current: T } {
  const ref = useRef(value);
  useInsertionEffect(() => {
    ref.current = value;
  });
  return ref;
}

/** `useEvent`'s signature: typed by the registered events, or untyped (see `Register`). */
export type UseEvent = IfEventsRegistered<
  <Name extends KnownEventName>(
    channel: string | null | undefined,
    event: Name,
    handler: EventHandler<KnownEventPayload<Name>>,
    history?: HistoryHookOptions,
  ) => void,
  <T = unknown>(channel: string | null | undefined, event: string, handler: EventHandler<T>, history?: HistoryHookOptions) => void
>;

/**
 * Calls `handler` for every `event` on `channel` while the component is mounted. Components on
 * the same channel share one subscription (reference counted by the client); a falsy `channel`
 * subscribes to nothing (e.g. while an id is still loading). With registered events
 * (`Register`), `data` has the event's schema type and an unknown event name is a type error.
 */
export const useEvent: UseEvent = function useEvent(
  channel: string | null | undefined,
  event: string,
  handler: EventHandler<any>,
  history?: HistoryHookOptions,
): void {
  const client = useRealtimeClient();
  const latest = useLatest(handler);
  useHistoryOptions(client, channel, history);
  useEffect(() => {
    if (!channel) return;
    return client.subscribe(channel, event, (data, meta) => latest.current(data, meta));
  }, [client, channel, event, latest]);
};

export type ChannelStatus = 'idle' | SubscriptionStatus;

export interface ChannelHandle {
  /** `idle` without a channel; `pending` until the provider confirmed (and again while reconnecting). */
  status: ChannelStatus;
  error: Error | undefined;
  /** Sends a client event to the channel's other subscribers (private and presence channels). */
  whisper: WhisperFunction<[]>;
}

function useChannelStatus(client: RealtimeClient, channel: string | null | undefined): { status: ChannelStatus; error: Error | undefined } {
  const subscribe = useCallback(
    (notify: () => void) => {
      const offs = [client.on('subscribed', notify), client.on('subscription_error', notify), client.onStateChange(notify)];
      return () => offs.forEach((off) => off());
    },
    [client],
  );
  const status = useSyncExternalStore(
    subscribe,
    (): ChannelStatus => (channel ? client.subscriptionStatus(channel) ?? 'pending' : 'idle'),
    (): ChannelStatus => (channel ? 'pending' : 'idle'),
  );
  const [error, setError] = useState<Error | undefined>(undefined);
  useEffect(() => {
    setError(undefined);
    if (!channel) return;
    const offs = [
      client.on('subscription_error', (failure) => failure.channel === channel && setError(failure.error)),
      client.on('subscribed', (success) => success.channel === channel && setError(undefined)),
    ];
    return () => offs.forEach((off) => off());
  }, [client, channel]);
  return { status, error: status === 'failed' ? error : undefined };
}

/**
 * Subscribes to a channel while mounted: its status, a `whisper` for client events, and
 * optionally every event on it.
 */
export function useChannel(channel: string | null | undefined, onEvent?: ChannelEventHandler, history?: HistoryHookOptions): ChannelHandle {
  const client = useRealtimeClient();
  const latest = useLatest(onEvent);
  useHistoryOptions(client, channel, history);
  useEffect(() => {
    if (!channel) return;
    return client.subscribeAll(channel, (event, data, meta) => latest.current?.(event, data, meta));
  }, [client, channel, latest]);
  const { status, error } = useChannelStatus(client, channel);
  const whisper = useCallback(
    (event: string, data: any) => {
      if (!channel) throw new TypeError('useChannel: no channel to whisper on');
      client.whisper(channel, event, data);
    },
    [client, channel],
  );
  return { status, error, whisper };
}

export interface PresenceHandle extends ChannelHandle {
  /** Everyone present (one entry per user, however many tabs). Empty until subscribed. */
  members: PresenceMember[];
}

export interface PresenceCallbacks {
  onJoin?(member: PresenceMember): void;
  onLeave?(member: PresenceMember): void;
}

/** A presence channel's members, kept current, with join and leave callbacks. */
export function usePresence(channel: string | null | undefined, callbacks: PresenceCallbacks = {}): PresenceHandle {
  const client = useRealtimeClient();
  const latest = useLatest(callbacks);
  const [members, setMembers] = useState<PresenceMember[]>([]);
  useEffect(() => {
    if (!channel) {
      setMembers([]);
      return;
    }
    const unsubscribe = client.onPresence(channel, (change) => {
      setMembers(change.members);
      if (change.type === 'member_added' && change.member) latest.current.onJoin?.(change.member);
      if (change.type === 'member_removed' && change.member) latest.current.onLeave?.(change.member);
    });
    // Another component may have subscribed already: show who is there now.
    if (client.subscriptionStatus(channel) === 'subscribed') setMembers(client.members(channel));
    return unsubscribe;
  }, [client, channel, latest]);
  const handle = useChannel(channel);
  return { ...handle, members };
}

/** The connection state; `idle` on the server and until something subscribes. */
export function useConnectionState(): ConnectionState {
  const client = useRealtimeClient();
  const subscribe = useCallback((notify: () => void) => client.onStateChange(notify), [client]);
  return useSyncExternalStore(subscribe, () => client.state, () => 'idle');
}

/** This connection's socket id (undefined until connected), e.g. for an `X-Socket-ID` header. */
export function useSocketId(): string | undefined {
  const client = useRealtimeClient();
  const subscribe = useCallback((notify: () => void) => client.onStateChange(notify), [client]);
  return useSyncExternalStore(subscribe, () => client.socketId, () => undefined);
}
