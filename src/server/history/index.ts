export type { HistoryStore, HistoryBounds, AppendRequest, Appended, ReadRequest } from './historyStore.js';
export { createMemoryHistoryStore } from './memoryHistoryStore.js';
export { createHistoryStore, type HistoryStoreOptions } from './createHistoryStore.js';
export {
  withHistory,
  DEFAULT_HISTORY_MAX_AGE_SECONDS,
  DEFAULT_HISTORY_MAX_EVENTS,
  MAX_HISTORY_PAGE,
  type HistoryRealtime,
  type HistoryOptions,
  type HistoryDefinitions,
  type HistoryChannelBounds,
  type HistoryPublishOptions,
  type HistoryReadOptions,
} from './withHistory.js';
export { DEFAULT_PUBLISH_RETRY, type PublishRetryOptions } from './publishRetry.js';
export type { HistoryCursor, HistoryEvent, HistoryPage } from '../../core/history.js';
