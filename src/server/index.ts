export { createRealtime, type Realtime } from './realtime.js';
export { withEvents, type TypedRealtime, type TypedBatchItem } from './typedRealtime.js';
export type { BatchItem, PublishOptions } from '../core/publishValidation.js';
export type { RealtimeConfig, RealtimeConfigInput } from '../core/config.js';
export { loadConfigFromEnv } from '../core/config.js';
export { RealtimeError, isRealtimeError, type RealtimeErrorCode } from '../core/errors.js';
