import { loadConfigFromEnv, parseConfig, type RealtimeConfig, type RealtimeConfigInput } from '../core/config.js';
import { RealtimeError, type ProviderName } from '../core/errors.js';
import { DEFAULT_LIMITS, type ProviderLimits } from '../core/limits.js';
import type { ServerProvider } from '../core/provider.js';
import { prepareBatch, preparePublish, type BatchItem, type PublishOptions } from '../core/publishValidation.js';
import { assertUserId } from '../core/users.js';
import { loadServerProvider } from './loadProvider.js';
import type { HistoryPage } from '../core/history.js';
import type { HistoryBounds } from './history/historyStore.js';

export interface Realtime {
  readonly provider: ProviderName;
  readonly config: RealtimeConfig;
  readonly limits: ProviderLimits;
  /** Publishes one event to one or several channels. Resolves once the provider accepted it. */
  publish(channel: string | readonly string[], event: string, data: unknown, options?: PublishOptions): Promise<void>;
  /** Publishes several events (one channel each) in one request. */
  publishBatch(items: readonly BatchItem[]): Promise<void>;
  /**
   * Closes every live connection of this user (logout): the provider closes them, and every
   * `onUserTerminated` listener runs (the connection guard frees the user's slots there).
   */
  terminateUser(userId: string): Promise<void>;
  /**
   * Runs after every `terminateUser`; returns a function that removes the listener. Optional so
   * that wrappers of a Realtime (withEvents) and test doubles stay valid; createRealtime has it.
   */
  onUserTerminated?(listener: (userId: string) => void | Promise<void>): () => void;
  /** The provider behind this instance, for the route handlers (channel auth, tokens). */
  getProvider(): Promise<ServerProvider>;
  /** History channels: set by withHistory (src/server/history), absent on a plain instance. */
  history?(channel: string, options?: { limit?: number; after?: string | undefined; excludeSocketIds?: readonly string[] | undefined }): Promise<HistoryPage>;
  historyBounds?(channel: string): HistoryBounds | undefined;
  close(): Promise<void>;
}

/**
 * Creates the server-side handle. Without arguments it reads `REALTIME_PROVIDER` and that
 * provider's variables. Creation is synchronous and cheap, so it can sit at module top level;
 * the provider SDK is loaded on first use, and only the chosen one.
 */
export function createRealtime(config?: RealtimeConfigInput): Realtime {
  const resolved = config === undefined ? loadConfigFromEnv() : parseConfig(config);
  const limits: ProviderLimits = {
    ...DEFAULT_LIMITS[resolved.provider],
    ...(resolved.maxPayloadBytes !== undefined ? { maxPayloadBytes: resolved.maxPayloadBytes } : {}),
  };
  let providerPromise: Promise<ServerProvider> | undefined;
  let closed = false;
  const terminateListeners = new Set<(userId: string) => void | Promise<void>>();
  const getProvider = (): Promise<ServerProvider> => {
    if (closed) return Promise.reject(new RealtimeError('closed', 'this realtime instance was closed'));
    providerPromise ??= loadServerProvider(resolved, limits);
    return providerPromise;
  };

  return {
    provider: resolved.provider,
    config: resolved,
    limits,
    async publish(channel, event, data, options) {
      const prepared = preparePublish(resolved.provider, limits, channel, event, data, options);
      const provider = await getProvider();
      await provider.publish(prepared);
    },
    async publishBatch(items) {
      const prepared = prepareBatch(resolved.provider, limits, items);
      const provider = await getProvider();
      await provider.publishBatch(prepared);
    },
    async terminateUser(userId) {
      assertUserId(userId);
      const provider = await getProvider();
      await provider.terminateUserConnections(userId, { reason: 'logout', message: 'the user logged out' });
      await Promise.all([...terminateListeners].map(async (listener) => listener(userId)));
    },
    onUserTerminated(listener) {
      terminateListeners.add(listener);
      return () => terminateListeners.delete(listener);
    },
    getProvider,
    async close() {
      if (closed) return;
      closed = true;
      if (providerPromise) await (await providerPromise.catch(() => undefined))?.close();
    },
  };
}
