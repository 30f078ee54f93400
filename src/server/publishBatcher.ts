import { RealtimeError } from '../core/errors.js';
import type { OutgoingEvent, ServerProvider } from '../core/provider.js';

/**
 * How concurrent `publish()` calls are coalesced into batch requests. `false` sends one request
 * per publish, as the provider SDK does.
 */
export interface PublishBatchingOptions {
  /**
   * Milliseconds to wait for more publishes before sending. 0 (the default) sends at the end of
   * the current tick: a lone publish goes out at once, a `Promise.all` of many goes out batched.
   */
  windowMs?: number;
  /**
   * Requests this instance keeps in flight at once (default 64, the keep-alive agent's sockets).
   * Publishes issued while all are busy wait here rather than in the HTTP agent's queue, so they
   * leave in full batches when a request returns: the busier the server, the fuller the batches.
   */
  maxInFlight?: number;
}

/** A window longer than this would make every publish noticeably late. */
export const MAX_BATCH_WINDOW_MS = 20;
export const DEFAULT_MAX_IN_FLIGHT = 64;
/** Events one pump looks past while they wait behind busy channels, before it stops looking. */
const MAX_DEFERRED_SCAN = 1000;

export interface PublishBatcher {
  /** Sends the event (alone or in a batch); settles with this event's own outcome. */
  publish(event: OutgoingEvent): Promise<void>;
  /** Resolves once every publish accepted so far has settled. */
  drain(): Promise<void>;
}

type BatchingProvider = Pick<ServerProvider, 'name' | 'limits' | 'publish' | 'publishBatch' | 'publishEach'>;

interface Pending {
  event: OutgoingEvent;
  resolve(): void;
  reject(error: unknown): void;
}

export function validateBatchingOptions(options: PublishBatchingOptions): Required<PublishBatchingOptions> {
  const windowMs = options.windowMs ?? 0;
  const maxInFlight = options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT;
  if (!Number.isFinite(windowMs) || windowMs < 0 || windowMs > MAX_BATCH_WINDOW_MS) {
    throw new RealtimeError('invalid_config', `batching.windowMs must be between 0 and ${MAX_BATCH_WINDOW_MS} ms (got ${windowMs})`);
  }
  if (!Number.isInteger(maxInFlight) || maxInFlight < 1) {
    throw new RealtimeError('invalid_config', `batching.maxInFlight must be a positive integer (got ${maxInFlight})`);
  }
  return { windowMs, maxInFlight };
}

/**
 * A batch is refused as a whole by Pusher and Soketi, which check every event before delivering
 * any (Soketi answers inside an HTTP 200 body). A refusal that can be one event's fault (400,
 * 413) is retried one event at a time so that only that event fails; nothing was delivered, so
 * nothing is delivered twice. Rate limits, credentials and network failures are the same for
 * every event in the request and are reported to each caller as they are.
 */
function mayBeOneEventsFault(error: unknown): boolean {
  return (
    error instanceof RealtimeError &&
    (error.code === 'payload_too_large' || (error.code === 'provider_rejected' && error.status === 400))
  );
}

/**
 * Coalesces concurrent publishes into the provider's batch requests.
 *
 * Order: events on one channel leave in the order `publish()` was called. Within a batch the
 * provider delivers in array order; a channel that has a request in flight gets no second one
 * until the first has settled (so batches on one channel never race each other on two sockets).
 * Publishes to many channels at once (one event, several channels) travel alone, in order too.
 */
export function createPublishBatcher(provider: BatchingProvider, options: PublishBatchingOptions = {}): PublishBatcher {
  const { windowMs, maxInFlight } = validateBatchingOptions(options);
  const maxBatch = provider.limits.maxBatchSize;
  let queue: Pending[] = [];
  let head = 0;
  let scheduled = false;
  let inFlight = 0;
  /** Channels with a request in flight, and how many. */
  const busyChannels = new Map<string, number>();
  let idle: Array<() => void> = [];

  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    const run = () => {
      scheduled = false;
      pump();
    };
    if (windowMs === 0) queueMicrotask(run);
    else setTimeout(run, windowMs);
  };

  const start = (items: Pending[]) => {
    inFlight++;
    for (const item of items) for (const channel of item.event.channels) busyChannels.set(channel, (busyChannels.get(channel) ?? 0) + 1);
    const done = () => {
      inFlight--;
      for (const item of items) {
        for (const channel of item.event.channels) {
          const left = busyChannels.get(channel)! - 1;
          if (left === 0) busyChannels.delete(channel);
          else busyChannels.set(channel, left);
        }
      }
      pump();
    };
    send(items).then(done, done);
  };

  /**
   * Starts every request it may, in call order, and keeps the rest queued in order. The queue is
   * `queue[head..]`; events that must wait are written back just before the unscanned rest, so a
   * pump costs what it scans, not the queue's length.
   */
  function pump() {
    const deferred: Pending[] = [];
    // Channels of an event that must wait: later events on them wait too (order per channel).
    const held = new Set<string>();
    let open: Pending[] | undefined;
    const slotsFree = () => inFlight + (open ? 1 : 0) < maxInFlight;
    const inOpenBatch = (channel: string) => open !== undefined && open.some((other) => other.event.channels[0] === channel);
    let index = head;
    // Every slot taken, or a long run of events behind busy channels (one hot channel): stop.
    for (; index < queue.length && (open || slotsFree()) && deferred.length < MAX_DEFERRED_SCAN; index++) {
      const item = queue[index]!;
      const channels = item.event.channels;
      const mustWait = channels.some((channel) => held.has(channel) || busyChannels.has(channel));
      if (channels.length > 1) {
        // Never overtakes an open batch that shares a channel with it.
        if (mustWait || channels.some(inOpenBatch) || !slotsFree()) {
          for (const channel of channels) held.add(channel);
          deferred.push(item);
        } else {
          start([item]);
        }
        continue;
      }
      if (mustWait) {
        held.add(channels[0]!);
        deferred.push(item);
        continue;
      }
      (open ??= []).push(item);
      if (open.length === maxBatch) {
        start(open);
        open = undefined;
      }
    }
    if (open) start(open);
    head = index - deferred.length;
    for (let k = 0; k < deferred.length; k++) queue[head + k] = deferred[k]!;
    if (head === queue.length) {
      queue = [];
      head = 0;
    } else if (head > 1024 && head * 2 > queue.length) {
      queue = queue.slice(head);
      head = 0;
    }
    if (queue.length === 0 && inFlight === 0) {
      const resolvers = idle;
      idle = [];
      for (const resolve of resolvers) resolve();
    }
  }

  async function send(items: Pending[]): Promise<void> {
    if (items.length === 1) return provider.publish(items[0]!.event).then(items[0]!.resolve, items[0]!.reject);
    const events = items.map((item) => item.event);
    if (provider.publishEach) {
      // The provider reports an outcome per event (Ably's batch API answers per channel).
      let outcomes: ReadonlyArray<Error | undefined>;
      try {
        outcomes = await provider.publishEach(events);
      } catch (error) {
        for (const item of items) item.reject(error);
        return;
      }
      items.forEach((item, index) => (outcomes[index] ? item.reject(outcomes[index]) : item.resolve()));
      return;
    }
    try {
      await provider.publishBatch(events);
    } catch (error) {
      if (!mayBeOneEventsFault(error)) {
        for (const item of items) item.reject(error);
        return;
      }
      // One after another: keeps the order on each channel.
      for (const item of items) await provider.publish(item.event).then(item.resolve, item.reject);
      return;
    }
    for (const item of items) item.resolve();
  }

  return {
    publish(event) {
      return new Promise<void>((resolve, reject) => {
        queue.push({ event, resolve, reject });
        schedule();
      });
    },
    drain() {
      if (queue.length === head && inFlight === 0) return Promise.resolve();
      return new Promise((resolve) => idle.push(resolve));
    },
  };
}
