import { isRealtimeError, RealtimeError } from '../core/errors.js';
import { cursorOf, parseCursor, unwrapHistoryEvent, type HistoryCursor, type HistoryPage } from '../core/history.js';
import type { IncomingEvent } from '../core/provider.js';
import { CONNECTION_CHANNEL_PREFIX, SYSTEM_CHANNEL } from '../core/systemEvents.js';
import type { DeliveredEvent } from './channelRegistry.js';

export type { DeliveredEvent };

/**
 * Recovery on history channels (src/server/history), for every provider alike. The client calls
 * two hooks: `receive` for every event the transport delivers, `subscribed` whenever a channel's
 * subscription is confirmed (the first time and after every reconnect). From those:
 * - events are handed on in channel order (`seq`), each id once: a live copy of an event that
 *   recovery already delivered (or a retried publish's second copy) is dropped;
 * - after a re-subscription, and when a later event shows a hole that stays open for
 *   `reorderWindowMs`, what was missed is fetched from the history endpoint and delivered before
 *   the live events that arrived meanwhile;
 * - a hole history cannot fill (trimmed by its bounds) is reported through `onGap`.
 * Events on other channels (and client events) pass straight through.
 */

export interface HistoryGap {
  channel: string;
  /** The position the client had. */
  after: HistoryCursor;
  /** Events lost between `after` and what was delivered next; null when the store lost count. */
  missed: number | null;
  /** The position the client continues from. */
  cursor: HistoryCursor;
}

/** One history request: the default one is `GET /api/realtime/history`. */
export type HistoryFetcher = (request: {
  channel: string;
  /** Undefined: only the channel's current head is asked for (`limit` 0). */
  after: HistoryCursor | undefined;
  limit: number;
  /** This client's connections, whose own events (sent with their socket id) are skipped. */
  socketIds: readonly string[];
}) => Promise<HistoryPage>;

export interface HistoryRecoveryOptions {
  /** Undefined: no requests (events are still unwrapped, ordered and de-duplicated). */
  fetchHistory: HistoryFetcher | undefined;
  deliver(channel: string, event: DeliveredEvent): void;
  onGap(gap: HistoryGap): void;
  onError(channel: string, error: Error): void;
  /** The current connection's socket id (undefined while not connected). */
  socketId(): string | undefined;
  /** Channels the app declared as history channels (their head is learnt on subscription). */
  isHistoryChannel?(channel: string): boolean;
  /** How long a hole may stay open before history is asked (events can overtake each other). Default 250 ms. */
  reorderWindowMs?: number;
}

interface Buffered {
  seq: number;
  id: string;
  incoming: IncomingEvent;
}

interface ChannelState {
  /** Position of the last event handed on; undefined until the first event or cursor. */
  seq: number | undefined;
  /**
   * `seq` is the head read after the first subscription, not an event handed on: events stored
   * before that read may still be on their way live (published after the subscription), so the
   * first live event may lie at or below it.
   */
  tentative: boolean;
  kind: 'unknown' | 'history' | 'plain';
  /** Ids handed on recently (a bounded window), to drop second copies. */
  ids: Set<string>;
  buffered: Map<number, Buffered>;
  recovering: boolean;
  /** Ask again once the running recovery ends (a re-subscription happened during it). */
  again: boolean;
  holeTimer?: ReturnType<typeof setTimeout> | undefined;
  retryTimer?: ReturnType<typeof setTimeout> | undefined;
  failures: number;
  subscribedBefore: boolean;
  headRequested: boolean;
}

const PAGE_SIZE = 1000;
const REMEMBERED_IDS = 2000;
const MAX_SOCKET_IDS = 20;
const MAX_FAILURES = 5;

function isInternalChannel(channel: string): boolean {
  return channel === SYSTEM_CHANNEL || channel.startsWith(CONNECTION_CHANNEL_PREFIX);
}

export interface HistoryRecovery {
  /** A channel is wanted (before its subscription starts). */
  track(channel: string): void;
  receive(channel: string, incoming: IncomingEvent): void;
  subscribed(channel: string): void;
  /** Start at a cursor (from a server render): the next subscription delivers everything after it. */
  resumeFrom(channel: string, cursor: HistoryCursor): void;
  cursor(channel: string): HistoryCursor | undefined;
  /** The channel was left: its position is forgotten. */
  forget(channel: string): void;
}

export function createHistoryRecovery(options: HistoryRecoveryOptions): HistoryRecovery {
  const reorderWindowMs = options.reorderWindowMs ?? 250;
  const states = new Map<string, ChannelState>();
  const socketIds: string[] = [];

  const stateOf = (channel: string): ChannelState => {
    let state = states.get(channel);
    if (!state) {
      state = { seq: undefined, tentative: false, kind: 'unknown', ids: new Set(), buffered: new Map(), recovering: false, again: false, failures: 0, subscribedBefore: false, headRequested: false };
      states.set(channel, state);
    }
    return state;
  };

  const remember = (state: ChannelState, id: string) => {
    state.ids.add(id);
    if (state.ids.size > REMEMBERED_IDS) state.ids.delete(state.ids.values().next().value!);
  };

  const noteSocketId = () => {
    const id = options.socketId();
    if (id && !socketIds.includes(id)) {
      socketIds.push(id);
      if (socketIds.length > MAX_SOCKET_IDS) socketIds.shift();
    }
  };

  /** Hands one history event on, unless its id was handed on already. */
  const handOn = (channel: string, state: ChannelState, seq: number, id: string, incoming: IncomingEvent) => {
    state.seq = state.tentative ? seq : Math.max(state.seq ?? 0, seq);
    state.tentative = false;
    if (state.ids.has(id)) return;
    remember(state, id);
    options.deliver(channel, { ...incoming, id, cursor: cursorOf(seq) });
  };

  /** Hands on buffered events that follow the position with no hole; a remaining hole is timed. */
  const drain = (channel: string, state: ChannelState) => {
    if (state.recovering || state.seq === undefined) return;
    for (const seq of [...state.buffered.keys()].sort((a, b) => a - b)) {
      const buffered = state.buffered.get(seq)!;
      if (seq <= state.seq) {
        state.buffered.delete(seq);
        continue;
      }
      if (seq !== state.seq + 1) break;
      state.buffered.delete(seq);
      handOn(channel, state, seq, buffered.id, buffered.incoming);
    }
    clearTimeout(state.holeTimer);
    state.holeTimer = undefined;
    if (state.buffered.size > 0 && options.fetchHistory) {
      state.holeTimer = setTimeout(() => {
        state.holeTimer = undefined;
        if (states.get(channel) === state && state.buffered.size > 0) void recover(channel, state);
      }, reorderWindowMs);
    }
  };

  /** Fetches every event after the position, hands them on, then what was buffered meanwhile. */
  const recover = async (channel: string, state: ChannelState): Promise<void> => {
    const fetchHistory = options.fetchHistory;
    if (!fetchHistory || state.seq === undefined) return;
    // From here on the position is what the client is owed events after.
    state.tentative = false;
    if (state.recovering) {
      state.again = true;
      return;
    }
    state.recovering = true;
    clearTimeout(state.holeTimer);
    state.holeTimer = undefined;
    try {
      for (;;) {
        const after = state.seq;
        const page = await fetchHistory({ channel, after: cursorOf(after), limit: PAGE_SIZE, socketIds: [...socketIds] });
        if (states.get(channel) !== state) return;
        if (!page.history) {
          state.kind = 'plain';
          break;
        }
        if (page.gap) options.onGap({ channel, after: page.gap.after, missed: page.gap.missed, cursor: page.cursor });
        for (const event of page.events) {
          if (event.seq <= (state.seq ?? 0)) continue;
          handOn(channel, state, event.seq, event.id, { channel, event: event.event, data: event.data });
        }
        const cursor = parseCursor(page.cursor);
        // The cursor moves past events left out for this client (its own) and, after a store
        // reset, back to the store's head.
        if (cursor !== undefined) state.seq = page.gap?.missed === null ? cursor : Math.max(state.seq ?? 0, cursor);
        if (!page.more) break;
      }
      state.failures = 0;
    } catch (error) {
      if (states.get(channel) !== state) return;
      const failure = error instanceof Error ? error : new RealtimeError('provider_unavailable', String(error));
      options.onError(channel, failure);
      // The endpoint or the network failed (not the policy): try again with a growing pause.
      const terminal = isRealtimeError(failure) && (failure.code === 'unauthorized' || failure.code === 'forbidden');
      if (!terminal && ++state.failures < MAX_FAILURES) {
        clearTimeout(state.retryTimer);
        state.retryTimer = setTimeout(() => {
          state.retryTimer = undefined;
          if (states.get(channel) === state) void recover(channel, state);
        }, Math.random() * 500 * 2 ** state.failures);
      }
    } finally {
      if (states.get(channel) === state) {
        state.recovering = false;
        if (state.again) {
          state.again = false;
          void recover(channel, state);
        } else drain(channel, state);
      }
    }
  };

  /**
   * A channel the client knows nothing about: learn its head, so that a reconnect before its
   * first event still knows where to recover from. Asked when the channel is first wanted on a
   * live connection (the answer is then older than the subscription), else at its first
   * confirmation; an answer that comes after events were stored is `tentative` (ChannelState).
   * Events stored while that first answer is on its way and not delivered live because the
   * connection dropped in the same instant are the one case recovery cannot see.
   */
  const learnHead = async (channel: string, state: ChannelState) => {
    const fetchHistory = options.fetchHistory;
    if (!fetchHistory || isInternalChannel(channel) || state.headRequested || state.seq !== undefined) return;
    if (!options.isHistoryChannel?.(channel)) return;
    state.headRequested = true;
    try {
      const page = await fetchHistory({ channel, after: undefined, limit: 0, socketIds: [] });
      if (states.get(channel) !== state) return;
      if (!page.history) {
        if (state.kind === 'unknown') state.kind = 'plain';
        return;
      }
      state.kind = 'history';
      // A live event that came first already set the position.
      if (state.seq === undefined) {
        state.seq = parseCursor(page.cursor) ?? 0;
        state.tentative = true;
        drain(channel, state);
      }
    } catch {
      // No history endpoint (or none reachable): the channel's first event teaches its position.
    }
  };

  return {
    track(channel) {
      const state = stateOf(channel);
      // Connected already (its credentials are fresh): ask now, before the subscription starts.
      // Otherwise at the first confirmation, once the connection has its token.
      if (state.kind === 'unknown' && options.socketId() !== undefined) void learnHead(channel, state);
    },
    receive(channel, incoming) {
      const unwrapped = unwrapHistoryEvent(incoming.data);
      if (!unwrapped) {
        options.deliver(channel, incoming);
        return;
      }
      const state = stateOf(channel);
      state.kind = 'history';
      const { id, seq } = unwrapped.meta;
      const event: IncomingEvent = { ...incoming, data: unwrapped.data };
      if (state.ids.has(id) || (state.seq !== undefined && !state.tentative && seq <= state.seq)) return;
      if (!state.recovering && (state.seq === undefined || (state.tentative && seq <= state.seq + 1))) {
        handOn(channel, state, seq, id, event);
        return;
      }
      // Beyond a learnt head: the events in between are owed too (recovered if they do not come).
      state.tentative = false;
      if (!state.recovering && seq === state.seq! + 1 && state.buffered.size === 0) {
        handOn(channel, state, seq, id, event);
        return;
      }
      state.buffered.set(seq, { seq, id, incoming: event });
      drain(channel, state);
    },
    subscribed(channel) {
      noteSocketId();
      const state = stateOf(channel);
      const first = !state.subscribedBefore;
      state.subscribedBefore = true;
      if (state.kind === 'plain') return;
      // The first confirmation of a channel whose head was learnt (not handed over): nothing to
      // recover yet. Any later one, or a cursor from a server render: catch up.
      if (state.seq !== undefined && !(first && state.tentative)) void recover(channel, state);
      else if (first) void learnHead(channel, state);
    },
    resumeFrom(channel, cursor) {
      const seq = parseCursor(cursor);
      if (seq === undefined) throw new RealtimeError('invalid_payload', `${JSON.stringify(cursor)} is not a history cursor`);
      const state = stateOf(channel);
      state.kind = 'history';
      if (state.seq === undefined || state.tentative || seq > state.seq) state.seq = seq;
      state.tentative = false;
      // Already subscribed (another component got there first): catch up now.
      if (state.subscribedBefore) void recover(channel, state);
    },
    cursor(channel) {
      const seq = states.get(channel)?.seq;
      return seq === undefined ? undefined : cursorOf(seq);
    },
    forget(channel) {
      const state = states.get(channel);
      if (!state) return;
      clearTimeout(state.holeTimer);
      clearTimeout(state.retryTimer);
      states.delete(channel);
    },
  };
}

/**
 * The default HistoryFetcher: `GET <historyEndpoint>?channel=&after=&limit=&socket_id=` to the
 * route handlers, with the client's token (`Authorization: Bearer`) and cookies, like the auth
 * requests. `request` is the client's own call to its endpoints (requestAppEndpoint + token).
 */
export function httpHistoryFetcher(endpoint: string, request: (url: string, init: RequestInit) => Promise<Response>): HistoryFetcher {
  return async ({ channel, after, limit, socketIds }) => {
    const query = new URLSearchParams({ channel, limit: String(limit) });
    if (after !== undefined) query.set('after', after);
    for (const socketId of socketIds) query.append('socket_id', socketId);
    const response = await request(`${endpoint}${endpoint.includes('?') ? '&' : '?'}${query}`, { method: 'GET' });
    const page = (await response.json()) as HistoryPage;
    if (!page || typeof page !== 'object' || !Array.isArray(page.events) || typeof page.cursor !== 'string') {
      throw new RealtimeError('provider_rejected', `the history endpoint ${endpoint} did not answer a history page`);
    }
    return page;
  };
}
