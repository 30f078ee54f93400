/**
 * History channels: the wire format shared by the server (which wraps every event it publishes on
 * a history channel) and the library client (which unwraps it). One place, so both sides always
 * agree. Plain channels never see any of this: their events keep the SDK's exact wire format.
 *
 * On a history channel the `data` every subscriber receives is
 *
 *   {"realtime:meta":{"id":"<event id>","seq":<position>},"data":<the published value>}
 *
 * - `id` is unique per published event (random, assigned once before the first attempt, so a
 *   retried publish carries the same id and the library client drops the second copy);
 * - `seq` is the event's position on its channel: 1, 2, 3, ... with no holes, assigned by the
 *   history store when the event is stored, so a client that sees 7 after 5 knows it missed 6.
 *
 * A raw pusher-js or Laravel Echo client on a history channel reads `data.data` for the value
 * (docs/delivery.md). The library client hands handlers the value itself and the meta separately.
 */

export const HISTORY_META_KEY = 'realtime:meta';

export interface HistoryMeta {
  id: string;
  seq: number;
}

export interface HistoryEnvelope {
  [HISTORY_META_KEY]: HistoryMeta;
  data: unknown;
}

/** One stored event, as `history()` and the history endpoint return it. */
export interface HistoryEvent {
  id: string;
  /** Position on its channel (1-based, no holes). */
  seq: number;
  event: string;
  data: unknown;
  /** Unix milliseconds at which the store accepted it. */
  publishedAt: number;
}

/**
 * A cursor names a position on one channel: "every event after this one". It is the decimal
 * `seq` of the last event seen ("0": before the first). Treat it as opaque text: hand what
 * `history()` returned to the client unchanged.
 */
export type HistoryCursor = string;

/** The answer of `history()` and of `GET /api/realtime/history`. */
export interface HistoryPage {
  /** Oldest first. */
  events: HistoryEvent[];
  /** The position after the last event in `events` (or the channel's head when there are none). */
  cursor: HistoryCursor;
  /** More events follow `cursor` (ask again with `after: cursor`). */
  more: boolean;
  /**
   * Events after the requested position that the store no longer has (trimmed by the count or
   * age bound): `missed` of them, between `after` and the first returned; `missed` is null when
   * the store lost the channel altogether (Redis flushed) and cannot count them. Absent when none.
   */
  gap?: { after: HistoryCursor; missed: number | null } | undefined;
  /** False when the channel is not a history channel (then nothing else is meaningful). */
  history: boolean;
}

const CURSOR_PATTERN = /^(0|[1-9][0-9]{0,15})$/;

/** The seq a cursor names, or undefined when it is not a cursor this library wrote. */
export function parseCursor(cursor: unknown): number | undefined {
  if (typeof cursor === 'number' && Number.isSafeInteger(cursor) && cursor >= 0) return cursor;
  if (typeof cursor !== 'string' || !CURSOR_PATTERN.test(cursor)) return undefined;
  const seq = Number(cursor);
  return Number.isSafeInteger(seq) ? seq : undefined;
}

export function cursorOf(seq: number): HistoryCursor {
  return String(seq);
}

export function wrapHistoryEvent(meta: HistoryMeta, data: unknown): HistoryEnvelope {
  return { [HISTORY_META_KEY]: { id: meta.id, seq: meta.seq }, data };
}

/** The meta and value of an event that arrived on a history channel; undefined for anything else. */
export function unwrapHistoryEvent(data: unknown): { meta: HistoryMeta; data: unknown } | undefined {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return undefined;
  const meta = (data as Record<string, unknown>)[HISTORY_META_KEY] as Partial<HistoryMeta> | undefined;
  if (!meta || typeof meta.id !== 'string' || typeof meta.seq !== 'number' || !Number.isSafeInteger(meta.seq)) return undefined;
  return { meta: { id: meta.id, seq: meta.seq }, data: (data as { data?: unknown }).data };
}
