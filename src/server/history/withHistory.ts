import { channelPatternMatcher } from '../../core/channelPolicy.js';
import { channelKind } from '../../core/channels.js';
import { RealtimeError } from '../../core/errors.js';
import { parseCursor, wrapHistoryEvent, type HistoryPage } from '../../core/history.js';
import { encodePayload } from '../../core/payload.js';
import { prepareBatch, preparePublish, type BatchItem, type PublishOptions } from '../../core/publishValidation.js';
import type { Realtime } from '../realtime.js';
import { wrapRealtime } from '../realtimeWrapper.js';
import type { HistoryBounds, HistoryStore } from './historyStore.js';
import { createHistoryStore } from './createHistoryStore.js';
import { withPublishRetries, type PublishRetryOptions } from './publishRetry.js';

/** Bounds of one history pattern; `true` takes both defaults. */
export type HistoryChannelBounds = true | { maxEvents?: number; maxAgeSeconds?: number };
/** Channel patterns (the `defineChannels` syntax: `chat.{roomId}`) whose events are kept. */
export type HistoryDefinitions = Record<string, HistoryChannelBounds>;

export const DEFAULT_HISTORY_MAX_EVENTS = 1000;
export const DEFAULT_HISTORY_MAX_AGE_SECONDS = 24 * 60 * 60;
/** Most events one `history()` call or history request returns. */
export const MAX_HISTORY_PAGE = 1000;
const DEFAULT_HISTORY_PAGE = 50;
const EVENT_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;

export interface HistoryOptions {
  channels: HistoryDefinitions;
  /** Default: Redis Streams when REDIS_URL is set, this process's memory otherwise. */
  store?: HistoryStore;
  /** Retries of the live delivery after the event was stored. */
  retry?: PublishRetryOptions;
  /**
   * The event was stored (the publish is accepted) but live delivery failed after every retry:
   * library clients get it when they next recover (their next event shows the hole, or their
   * next reconnect). Default: console.warn, without the payload.
   */
  onDeliveryError?(error: unknown, event: { channel: string; event: string; id: string; seq: number }): void;
}

export interface HistoryPublishOptions extends PublishOptions {
  /**
   * The event's id (1-64 of A-Z a-z 0-9 _ . : -). Default: a random UUID. Publishing the same id
   * again on a history channel stores nothing new and library clients receive it once: pass your
   * own id to make an app-level retry (a resubmitted form) safe.
   */
  id?: string | undefined;
}

export interface HistoryReadOptions {
  /** Most events to return (0-1000). Default 50. */
  limit?: number;
  /** Events after this cursor, oldest first; without it, the newest `limit` events. */
  after?: string | undefined;
  /** Socket ids whose own events (published with their `socketId`) are left out. */
  excludeSocketIds?: readonly string[] | undefined;
}

export interface HistoryRealtime extends Realtime {
  publish(channel: string | readonly string[], event: string, data: unknown, options?: HistoryPublishOptions): Promise<void>;
  /**
   * A history channel's events and the cursor after them, e.g. for a server component:
   * render `events`, hand `cursor` to the client hook, and the client receives every event
   * published after it (those published between render and subscribe included) exactly once.
   */
  history(channel: string, options?: HistoryReadOptions): Promise<HistoryPage>;
  /** The bounds of a history channel; undefined for a plain channel. */
  historyBounds(channel: string): HistoryBounds | undefined;
  readonly historyStore: HistoryStore;
}

function resolveBounds(pattern: string, bounds: HistoryChannelBounds): HistoryBounds {
  const given = bounds === true ? {} : bounds;
  const maxEvents = given.maxEvents ?? DEFAULT_HISTORY_MAX_EVENTS;
  const maxAgeSeconds = given.maxAgeSeconds ?? DEFAULT_HISTORY_MAX_AGE_SECONDS;
  if (!Number.isSafeInteger(maxEvents) || maxEvents < 1) {
    throw new RealtimeError('invalid_config', `withHistory: maxEvents of ${JSON.stringify(pattern)} must be a positive integer`);
  }
  if (!Number.isFinite(maxAgeSeconds) || maxAgeSeconds <= 0) {
    throw new RealtimeError('invalid_config', `withHistory: maxAgeSeconds of ${JSON.stringify(pattern)} must be a positive number`);
  }
  if (channelKind(pattern) === 'private-encrypted') {
    throw new RealtimeError('invalid_config', `withHistory: ${JSON.stringify(pattern)} is an encrypted channel; its events are not stored in the clear`);
  }
  return { maxEvents, maxAgeMs: Math.round(maxAgeSeconds * 1000) };
}

function eventIdFor(options: HistoryPublishOptions | undefined): string {
  const id = options?.id;
  if (id === undefined) return crypto.randomUUID();
  if (typeof id !== 'string' || !EVENT_ID_PATTERN.test(id)) {
    throw new RealtimeError('invalid_event', 'an event id is 1-64 characters of A-Z a-z 0-9 _ . : -');
  }
  return id;
}

/** The largest envelope an event can get: what the provider limit is checked against. */
const widestMeta = (id: string) => ({ id, seq: Number.MAX_SAFE_INTEGER });

/**
 * `withHistory(createRealtime(), { channels: { 'chat.{roomId}': { maxEvents: 500 } } })`: events
 * on matching channels get an id and a position, are stored (HistoryStore), and only then sent
 * live, wrapped as core/history.ts describes. A publish is accepted once stored: live delivery is
 * retried (PublishRetryOptions) and, should it still fail, left to the clients' recovery. Events
 * on every other channel go through unchanged, in the SDK's exact wire format.
 */
export function withHistory(realtime: Realtime, options: HistoryOptions): HistoryRealtime {
  const patterns = Object.entries(options.channels ?? {}).map(([pattern, bounds]) => ({
    matches: channelPatternMatcher(pattern),
    bounds: resolveBounds(pattern, bounds),
  }));
  if (patterns.length === 0) throw new RealtimeError('invalid_config', 'withHistory: name at least one channel pattern in `channels`');
  const store = options.store ?? createHistoryStore();
  const ownsStore = options.store === undefined;
  const onDeliveryError =
    options.onDeliveryError ??
    ((error: unknown, event: { channel: string; event: string; id: string; seq: number }) =>
      console.warn(`next-realtime: live delivery of ${event.event} #${event.seq} on ${event.channel} failed; clients recover it from history: ${(error as Error)?.message ?? error}`));

  const historyBounds = (channel: string): HistoryBounds | undefined => {
    if (typeof channel !== 'string' || channelKind(channel) === 'private-encrypted') return undefined;
    return patterns.find((entry) => entry.matches(channel))?.bounds;
  };

  /** Sends one stored event live; failures after the retries are reported, not thrown. */
  const deliver = async (
    send: () => Promise<void>,
    described: Array<{ channel: string; event: string; id: string; seq: number }>,
  ): Promise<void> => {
    try {
      await withPublishRetries(send, options.retry);
    } catch (error) {
      for (const event of described) onDeliveryError(error, event);
    }
  };

  /** Appends in order per channel (several channels at once); rejects with what was stored. */
  const appendAll = async (items: Array<{ channel: string; event: string; json: string; id: string; socketId?: string | undefined }>) => {
    const seqs = new Array<number>(items.length);
    const byChannel = new Map<string, number[]>();
    items.forEach((item, index) => byChannel.set(item.channel, [...(byChannel.get(item.channel) ?? []), index]));
    const stored: string[] = [];
    const failures: unknown[] = [];
    await Promise.all(
      [...byChannel.entries()].map(async ([channel, indexes]) => {
        for (const index of indexes) {
          const item = items[index]!;
          try {
            seqs[index] = (await store.append(channel, { id: item.id, event: item.event, json: item.json, socketId: item.socketId }, historyBounds(channel)!)).seq;
            stored.push(`${channel}#${seqs[index]}`);
          } catch (error) {
            failures.push(error);
            return;
          }
        }
      }),
    );
    if (failures.length > 0) {
      const first = failures[0];
      const cause = first instanceof RealtimeError ? first : undefined;
      // Nothing is sent live. Events stored before the failure (other channels of the same call)
      // stay stored and are recovered: `details.stored` names them.
      throw new RealtimeError(cause?.code ?? 'provider_unavailable', `the event could not be stored in history: ${(first as Error)?.message ?? first}`, {
        retryable: cause?.retryable ?? true,
        cause: first,
        details: { stored },
      });
    }
    return seqs;
  };

  const own: Pick<HistoryRealtime, 'historyStore' | 'historyBounds' | 'publish' | 'publishBatch' | 'history' | 'close'> = {
    historyStore: store,
    historyBounds,
    async publish(channel, event, data, publishOptions) {
      const channels = typeof channel === 'string' ? [channel] : Array.isArray(channel) ? channel : [];
      const historic = channels.filter((name) => historyBounds(name) !== undefined);
      if (historic.length === 0) return realtime.publish(channel, event, data, publishOptions);
      const id = eventIdFor(publishOptions);
      const socketOptions = publishOptions?.socketId === undefined ? undefined : { socketId: publishOptions.socketId };
      // Everything a provider would refuse is refused now, before anything is stored.
      preparePublish(realtime.provider, realtime.limits, channel, event, wrapHistoryEvent(widestMeta(id), data), socketOptions);
      const json = encodePayload(data);
      const seqs = await appendAll(historic.map((name) => ({ channel: name, event, json, id, socketId: socketOptions?.socketId })));
      const plain = channels.filter((name) => historyBounds(name) === undefined);
      await Promise.all([
        ...historic.map((name, index) =>
          deliver(
            () => realtime.publish(name, event, wrapHistoryEvent({ id, seq: seqs[index]! }, data), socketOptions),
            [{ channel: name, event, id, seq: seqs[index]! }],
          ),
        ),
        plain.length > 0 ? realtime.publish(plain, event, data, socketOptions) : undefined,
      ]);
    },
    async publishBatch(items) {
      if (!Array.isArray(items) || !items.some((item) => historyBounds(item?.channel) !== undefined)) return realtime.publishBatch(items);
      const ids = items.map((item) => (historyBounds(item.channel) ? crypto.randomUUID() : ''));
      prepareBatch(
        realtime.provider,
        realtime.limits,
        items.map((item, index) => (ids[index] ? { ...item, data: wrapHistoryEvent(widestMeta(ids[index]!), item.data) } : item)),
      );
      const historic = items.map((item, index) => ({ item, index })).filter(({ index }) => ids[index]);
      const seqs = await appendAll(
        historic.map(({ item, index }) => ({ channel: item.channel, event: item.event, json: encodePayload(item.data), id: ids[index]!, socketId: item.socketId })),
      );
      const wrapped: BatchItem[] = historic.map(({ item, index }, position) => ({
        ...item,
        data: wrapHistoryEvent({ id: ids[index]!, seq: seqs[position]! }, item.data),
      }));
      const plain = items.filter((_, index) => !ids[index]);
      await Promise.all([
        deliver(
          () => realtime.publishBatch(wrapped),
          historic.map(({ item, index }, position) => ({ channel: item.channel, event: item.event, id: ids[index]!, seq: seqs[position]! })),
        ),
        plain.length > 0 ? realtime.publishBatch(plain) : undefined,
      ]);
    },
    async history(channel, readOptions = {}) {
      const bounds = historyBounds(channel);
      if (!bounds) {
        throw new RealtimeError('invalid_channel', `${channel} is not a history channel (add a pattern to withHistory's channels)`);
      }
      const limit = readOptions.limit ?? DEFAULT_HISTORY_PAGE;
      if (!Number.isSafeInteger(limit) || limit < 0 || limit > MAX_HISTORY_PAGE) {
        throw new RealtimeError('invalid_payload', `history limit must be an integer from 0 to ${MAX_HISTORY_PAGE}`);
      }
      let after: number | undefined;
      if (readOptions.after !== undefined) {
        after = parseCursor(readOptions.after);
        if (after === undefined) throw new RealtimeError('invalid_payload', `${JSON.stringify(readOptions.after)} is not a history cursor`);
      }
      return store.read(channel, { after, limit, excludeSocketIds: readOptions.excludeSocketIds }, bounds);
    },
    async close() {
      if (ownsStore) await store.close();
      await realtime.close();
    },
  };
  return wrapRealtime(realtime, own);
}
