import { cursorOf, type HistoryEvent, type HistoryPage } from '../../core/history.js';

/**
 * Where history channels keep their events. Two implementations behind this interface:
 * memoryHistoryStore.ts (one process; tests, local development, a single instance) and
 * redisHistoryStore.ts (Redis Streams, shared by every Next.js instance: REDIS_URL).
 */

export interface HistoryBounds {
  /** The newest `maxEvents` events of a channel are kept. */
  maxEvents: number;
  /** Events older than this are gone, whatever their count. */
  maxAgeMs: number;
}

export interface AppendRequest {
  /** The event's id: appending an id the channel already has returns the stored position. */
  id: string;
  event: string;
  /** The value as JSON (encoded once by the caller). */
  json: string;
  /** The publishing connection, left out of what that connection recovers. */
  socketId?: string | undefined;
}

export interface Appended {
  seq: number;
  /** The id was stored before (a retried append): nothing new was stored. */
  duplicate: boolean;
}

export interface ReadRequest {
  /** Events after this seq, oldest first; undefined: the newest `limit` events. */
  after?: number | undefined;
  limit: number;
  /** Connections whose own events are skipped (they sent them); the cursor still moves past them. */
  excludeSocketIds?: readonly string[] | undefined;
}

export interface HistoryStore {
  readonly kind: 'memory' | 'redis';
  /** Stores one event and assigns its position. Rejects when the event could not be stored. */
  append(channel: string, request: AppendRequest, bounds: HistoryBounds): Promise<Appended>;
  read(channel: string, request: ReadRequest, bounds: HistoryBounds): Promise<HistoryPage>;
  close(): Promise<void>;
}

/** One stored entry as both stores keep it. */
export interface StoredEntry {
  seq: number;
  id: string;
  event: string;
  json: string;
  socketId: string;
  publishedAt: number;
}

/**
 * Turns what a store read into the page both stores answer, so that the memory and Redis stores
 * cannot disagree on gaps, cursors or bounds. `entries` are ascending: for `after` reads every
 * entry with seq > after, at most limit + 1 of them; for newest reads the newest `limit`.
 */
export function pageFrom(
  entries: readonly StoredEntry[],
  head: number,
  now: number,
  request: ReadRequest,
  bounds: HistoryBounds,
): HistoryPage {
  const oldestKept = now - bounds.maxAgeMs;
  const fresh = entries.filter((entry) => entry.publishedAt >= oldestKept);
  const excluded = new Set(request.excludeSocketIds ?? []);
  const visible = (slice: readonly StoredEntry[]) => slice.filter((entry) => !entry.socketId || !excluded.has(entry.socketId)).map(toEvent);
  const after = request.after;
  if (after === undefined) {
    return { history: true, events: visible(fresh.slice(Math.max(0, fresh.length - request.limit))), cursor: cursorOf(head), more: false };
  }
  if (after > head) {
    // The store lost the channel (Redis flushed or replaced): positions start again below the
    // caller's cursor. Its position becomes the head; what it missed cannot be counted.
    return { history: true, events: [], cursor: cursorOf(head), more: false, gap: { after: cursorOf(after), missed: null } };
  }
  const firstKept = fresh[0]?.seq ?? head + 1;
  const missed = firstKept - after - 1;
  const page = fresh.slice(0, request.limit);
  const last = page[page.length - 1];
  return {
    history: true,
    events: visible(page),
    cursor: cursorOf(last ? last.seq : head),
    more: fresh.length > request.limit,
    ...(missed > 0 ? { gap: { after: cursorOf(after), missed } } : {}),
  };
}

function toEvent(entry: StoredEntry): HistoryEvent {
  return { id: entry.id, seq: entry.seq, event: entry.event, data: JSON.parse(entry.json) as unknown, publishedAt: entry.publishedAt };
}
