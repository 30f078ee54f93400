export {
  createRealtimeClient,
  socketIdHeaders,
  SOCKET_ID_HEADER,
  type RealtimeClient,
  type RealtimeClientEvents,
  type ConnectionState,
  type EventHandler,
  type EventMeta,
  type ChannelEventHandler,
  type SubscribeFunction,
  type WhisperFunction,
  type PresenceChange,
  type PresenceListener,
  type SubscriptionStatus,
  type Unsubscribe,
} from './realtimeClient.js';
export { clientOptionsFromEnv, resolveClientOptions, type ClientOptions, type ClientOptionsInput } from './options.js';
export { fullJitterDelay, backoffWindow, DEFAULT_RECONNECT, type ReconnectOptions } from './backoff.js';
export { isTerminalAuthError } from './credentials.js';
export { SYSTEM_CHANNEL, REAUTH_REQUIRED_EVENT, type ReauthRequired, type TokenResponse } from '../core/systemEvents.js';
export type { PresenceMember, ClientToken, TokenFetcher, ClientTransport, TransportAuth } from '../core/provider.js';
export { RealtimeError, isRealtimeError, type RealtimeErrorCode } from '../core/errors.js';
export type { HistoryGap, HistoryFetcher } from './historyRecovery.js';
export type { HistoryCursor, HistoryEvent, HistoryPage } from '../core/history.js';
