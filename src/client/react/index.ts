'use client';
/**
 * next-realtime/react: a provider and hooks for client components. Import-safe on the server
 * (no window access); nothing connects during server rendering.
 */
export { RealtimeProvider, useRealtimeClient, type RealtimeProviderProps } from './RealtimeProvider.js';
export {
  useEvent,
  useChannel,
  usePresence,
  useConnectionState,
  useSocketId,
  type ChannelHandle,
  type ChannelStatus,
  type PresenceHandle,
  type PresenceCallbacks,
  type UseEvent,
  type HistoryHookOptions,
} from './hooks.js';
export type { HistoryGap } from '../historyRecovery.js';
export type {
  RealtimeClient,
  ConnectionState,
  EventHandler,
  EventMeta,
  ChannelEventHandler,
  PresenceChange,
} from '../realtimeClient.js';
export type { ClientOptions, ClientOptionsInput } from '../options.js';
export type { PresenceMember } from '../../core/provider.js';
