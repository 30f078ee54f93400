export { createRealtime, type Realtime, type RealtimeOptions } from './realtime.js';
export { MAX_BATCH_WINDOW_MS, type PublishBatchingOptions } from './publishBatcher.js';
export { withEvents, type TypedRealtime, type TypedBatchItem } from './typedRealtime.js';
export type { BatchItem, PublishOptions } from '../core/publishValidation.js';
export type { RealtimeConfig, RealtimeConfigInput } from './config.js';
export { loadConfigFromEnv } from './config.js';
export { RealtimeError, isRealtimeError, type RealtimeErrorCode } from '../core/errors.js';
export {
  createConnectionGuard,
  DEFAULT_MAX_CONNECTIONS_PER_USER,
  type ConnectionGuard,
  type ConnectionGuardHooks,
  type ConnectionGuardOptions,
  type GuardUser,
  type TokenIssuedEvent,
  type UserAuthenticateEvent,
} from './connections/connectionGuard.js';
export * from './rotation/index.js';
export {
  createStateStore,
  createMemoryStore,
  getDefaultStateStore,
  type StateStore,
  type StateStoreOptions,
  type ConnectionRecord,
  type RotationRecord,
  type RotationCounts,
} from './state/index.js';
export {
  createKeyring,
  parseKeyring,
  keyringFromAblyKeys,
  verifyHmacSha256Hex,
  withSigningKey,
  withoutKeys,
  type Keyring,
  type KeyringEntry,
} from '../core/keyring.js';
export { createConnectionControl, type ConnectionControl, type ConnectionControlOptions } from './connectionControl.js';
export * from './history/index.js';
