import { describe, expect, it, vi } from 'vitest';
import { createHistoryRecovery, type DeliveredEvent, type HistoryFetcher, type HistoryGap } from '../../src/client/historyRecovery.js';
import { wrapHistoryEvent, type HistoryPage } from '../../src/core/history.js';

/** The client's recovery rules, with a scripted history endpoint (no provider, no timers of ours). */
function setup(pages: (request: Parameters<HistoryFetcher>[0]) => HistoryPage) {
  const delivered: DeliveredEvent[] = [];
  const gaps: HistoryGap[] = [];
  const requests: Array<Parameters<HistoryFetcher>[0]> = [];
  const recovery = createHistoryRecovery({
    fetchHistory: async (request) => {
      requests.push(request);
      return pages(request);
    },
    deliver: (_channel, event) => delivered.push(event),
    onGap: (gap) => gaps.push(gap),
    onError: (_channel, error) => {
      throw error;
    },
    socketId: () => '1.1',
    isHistoryChannel: (channel) => channel === 'c',
    reorderWindowMs: 50,
  });
  const live = (seq: number, data: unknown = seq) => recovery.receive('c', { channel: 'c', event: 'n', data: wrapHistoryEvent({ id: `id${seq}`, seq }, data) });
  const values = () => delivered.map((event) => event.data);
  return { recovery, delivered, gaps, requests, live, values };
}

const page = (events: number[], cursor: number, extra: Partial<HistoryPage> = {}): HistoryPage => ({
  history: true,
  events: events.map((seq) => ({ id: `id${seq}`, seq, event: 'n', data: seq, publishedAt: 0 })),
  cursor: String(cursor),
  more: false,
  ...extra,
});

describe('history recovery (client)', () => {
  it('plain events pass through untouched; history events are unwrapped with id and cursor', () => {
    const { recovery, delivered, live } = setup(() => page([], 0));
    recovery.receive('p', { channel: 'p', event: 'x', data: { 'realtime:metadata': 1, data: 2 } });
    live(1, { text: 'hi' });
    expect(delivered).toEqual([
      { channel: 'p', event: 'x', data: { 'realtime:metadata': 1, data: 2 } },
      { channel: 'c', event: 'n', data: { text: 'hi' }, id: 'id1', cursor: '1' },
    ]);
  });

  it('an event that overtook another waits for it (no request when it comes within the window)', async () => {
    const { values, requests, live } = setup(() => page([], 0));
    live(1);
    live(3);
    live(2);
    expect(values()).toEqual([1, 2, 3]);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(requests).toEqual([]);
  });

  it('a hole that stays open is filled from history, in order, and later live copies are dropped', async () => {
    const { values, requests, live } = setup((request) => page([2, 3], 3, { cursor: request.after === '1' ? '3' : '0' }));
    live(1);
    live(3);
    await vi.waitFor(() => expect(values()).toEqual([1, 2, 3]));
    expect(requests[0]).toMatchObject({ channel: 'c', after: '1', socketIds: [] });
    live(2);
    live(3);
    live(4);
    expect(values()).toEqual([1, 2, 3, 4]);
  });

  it('a re-subscription recovers from the last position, live events that arrive meanwhile come after', async () => {
    let answer: (value: HistoryPage) => void = () => {};
    const delivered: unknown[] = [];
    const values = () => delivered;
    const fetches: Array<Parameters<HistoryFetcher>[0]> = [];
    const pending = createHistoryRecovery({
      fetchHistory: (request) => {
        fetches.push(request);
        return new Promise((resolve) => (answer = resolve));
      },
      deliver: (_channel, event) => delivered.push(event.data),
      onGap: () => {},
      onError: () => {},
      socketId: () => '9.9',
    });
    pending.resumeFrom('c', '5');
    pending.subscribed('c');
    expect(fetches[0]).toMatchObject({ after: '5', socketIds: ['9.9'] });
    pending.receive('c', { channel: 'c', event: 'n', data: wrapHistoryEvent({ id: 'id8', seq: 8 }, 8) });
    expect(values()).toEqual([]);
    answer(page([6, 7, 8], 8));
    await vi.waitFor(() => expect(values()).toEqual([6, 7, 8]));
  });

  it('reports a gap history cannot fill and continues after it', async () => {
    const { recovery, values, gaps } = setup(() => page([48, 49, 50], 50, { gap: { after: '3', missed: 44 } }));
    recovery.resumeFrom('c', '3');
    recovery.subscribed('c');
    await vi.waitFor(() => expect(values()).toEqual([48, 49, 50]));
    expect(gaps).toEqual([{ channel: 'c', after: '3', missed: 44, cursor: '50' }]);
    expect(recovery.cursor('c')).toBe('50');
  });

  it('a head learnt after events were stored still lets those events in when they arrive live', async () => {
    const { recovery, values, live } = setup(() => page([], 2));
    recovery.track('c');
    await vi.waitFor(() => expect(recovery.cursor('c')).toBe('2'));
    recovery.subscribed('c');
    live(1);
    live(2);
    live(3);
    expect(values()).toEqual([1, 2, 3]);
  });

  it('asks nothing about a channel the app did not declare', async () => {
    const { recovery, requests } = setup(() => page([], 0));
    recovery.track('other');
    recovery.subscribed('other');
    recovery.subscribed('other');
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(requests).toEqual([]);
  });

  it('a declared channel the server says is plain is asked about once, and never again', async () => {
    const { recovery, requests } = setup(() => ({ history: false, events: [], cursor: '0', more: false }));
    recovery.track('c');
    recovery.subscribed('c');
    await new Promise((resolve) => setTimeout(resolve, 10));
    recovery.subscribed('c');
    recovery.subscribed('c');
    expect(requests).toHaveLength(1);
  });
});
