export { createRealtimeClient, type RealtimeClient, type EventHandler, type Unsubscribe } from './realtimeClient.js';
export { clientOptionsFromEnv, type ClientOptions } from './options.js';
export type { ConnectionState, PresenceMember } from '../core/provider.js';
export { RealtimeError, isRealtimeError, type RealtimeErrorCode } from '../core/errors.js';
