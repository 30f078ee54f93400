import { pageFrom, type HistoryStore, type StoredEntry } from './historyStore.js';

interface ChannelLog {
  head: number;
  entries: StoredEntry[];
  /** id -> seq of the entries still kept, for idempotent appends. */
  ids: Map<string, number>;
}

/**
 * History in this process only: right for tests, local development and a single Next.js
 * instance. Several instances each keep their own (a client served by another instance would
 * recover nothing): use REDIS_URL there.
 */
export function createMemoryHistoryStore(options: { now?: () => number } = {}): HistoryStore {
  const now = options.now ?? Date.now;
  const logs = new Map<string, ChannelLog>();
  const logOf = (channel: string): ChannelLog => {
    let log = logs.get(channel);
    if (!log) logs.set(channel, (log = { head: 0, entries: [], ids: new Map() }));
    return log;
  };
  const trim = (log: ChannelLog, maxEvents: number, maxAgeMs: number) => {
    const oldestKept = now() - maxAgeMs;
    let drop = Math.max(0, log.entries.length - maxEvents);
    while (drop < log.entries.length && log.entries[drop]!.publishedAt < oldestKept) drop += 1;
    for (const entry of log.entries.splice(0, drop)) log.ids.delete(entry.id);
  };
  return {
    kind: 'memory',
    async append(channel, request, bounds) {
      const log = logOf(channel);
      const known = log.ids.get(request.id);
      if (known !== undefined) return { seq: known, duplicate: true };
      const seq = ++log.head;
      log.entries.push({ seq, id: request.id, event: request.event, json: request.json, socketId: request.socketId ?? '', publishedAt: now() });
      log.ids.set(request.id, seq);
      trim(log, bounds.maxEvents, bounds.maxAgeMs);
      return { seq, duplicate: false };
    },
    async read(channel, request, bounds) {
      const log = logs.get(channel);
      if (!log) return pageFrom([], 0, now(), request, bounds);
      const entries =
        request.after === undefined
          ? log.entries.slice(Math.max(0, log.entries.length - request.limit))
          : log.entries.filter((entry) => entry.seq > request.after!).slice(0, request.limit + 1);
      return pageFrom(entries, log.head, now(), request, bounds);
    },
    async close() {
      logs.clear();
    },
  };
}
