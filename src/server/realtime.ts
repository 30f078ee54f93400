import { loadConfigFromEnv, parseConfig, type RealtimeConfig, type RealtimeConfigInput } from './config.js';
import { RealtimeError, type ProviderName } from '../core/errors.js';
import type { ProviderLimits } from '../core/limits.js';
import type { ServerProvider } from '../core/provider.js';
import type { ProviderAuth } from '../core/providerParts.js';
import { prepareBatch, preparePublish, type BatchItem, type PublishOptions } from '../core/publishValidation.js';
import { assertUserId } from '../core/users.js';
import { loadDelivery } from '../registry/delivery.js';
import { providerParts } from '../registry/providers.js';
import type { HistoryPage } from '../core/history.js';
import type { HistoryBounds } from './history/historyStore.js';
import { createPublishBatcher, validateBatchingOptions, type PublishBatcher, type PublishBatchingOptions } from './publishBatcher.js';

export interface RealtimeOptions {
  /**
   * Concurrent `publish()` calls are coalesced into batch requests (default on; see
   * PublishBatchingOptions and docs/scaling.md). `false`: one request per publish.
   */
  batching?: PublishBatchingOptions | false;
}

export interface Realtime {
  /**
   * The chosen provider, its config and limits. Read from the environment when first needed: a
   * missing or malformed variable throws RealtimeError('invalid_config') naming it, here and from
   * every method, never at createRealtime() (so `next build` works without provider secrets).
   */
  readonly provider: ProviderName;
  readonly config: RealtimeConfig;
  readonly limits: ProviderLimits;
  /** The provider's SDK-free auth part (signatures or tokens), shared with the route handlers. */
  readonly auth: ProviderAuth;
  /**
   * Publishes one event to one or several channels. Resolves once the provider accepted it.
   * Concurrent calls share batch requests; each promise settles with its own event's outcome.
   */
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
  /** The provider's delivery part (its SDK, loaded on first use): publish, terminate, presence. */
  getProvider(): Promise<ServerProvider>;
  /** History channels: set by withHistory (src/server/history), absent on a plain instance. */
  history?(channel: string, options?: { limit?: number; after?: string | undefined; excludeSocketIds?: readonly string[] | undefined }): Promise<HistoryPage>;
  historyBounds?(channel: string): HistoryBounds | undefined;
  close(): Promise<void>;
}

/**
 * Creates the server-side handle. Without arguments it reads `REALTIME_PROVIDER` and that
 * provider's variables, on first use rather than now: creation never throws for the environment,
 * so it can sit at module top level and `next build` ("Collecting page data") runs without
 * provider secrets. A config passed in code is checked at once (a programming error). The
 * provider SDK is loaded on first delivery, and only the chosen one.
 */
export function createRealtime(config?: RealtimeConfigInput, options: RealtimeOptions = {}): Realtime {
  let resolved: RealtimeConfig | undefined = config === undefined ? undefined : parseConfig(config);
  const batching = options.batching === false ? false : validateBatchingOptions(options.batching ?? {});
  let batcher: PublishBatcher | undefined;
  const resolve = (): RealtimeConfig => (resolved ??= loadConfigFromEnv());
  let providerPromise: Promise<ServerProvider> | undefined;
  let closed = false;
  const terminateListeners = new Set<(userId: string) => void | Promise<void>>();
  const getProvider = async (): Promise<ServerProvider> => {
    if (closed) throw new RealtimeError('closed', 'this realtime instance was closed');
    providerPromise ??= loadDelivery(resolve());
    return providerPromise;
  };

  return {
    get provider() {
      return resolve().provider;
    },
    get config() {
      return resolve();
    },
    get limits() {
      return providerParts(resolve()).limits;
    },
    get auth() {
      return providerParts(resolve()).auth;
    },
    async publish(channel, event, data, options) {
      const current = resolve();
      const prepared = preparePublish(current.provider, providerParts(current).limits, channel, event, data, options);
      const provider = await getProvider();
      if (!batching) return provider.publish(prepared);
      batcher ??= createPublishBatcher(provider, batching);
      await batcher.publish(prepared);
    },
    async publishBatch(items) {
      const current = resolve();
      const prepared = prepareBatch(current.provider, providerParts(current).limits, items);
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
      await batcher?.drain();
      if (providerPromise) await (await providerPromise.catch(() => undefined))?.close();
    },
  };
}
