'use client';
import { useEffect, useInsertionEffect, useRef } from 'react';
import type { HistoryGap } from '../historyRecovery.js';
import type { RealtimeClient } from '../realtimeClient.js';

/** Options of `useEvent` and `useChannel` for history channels (docs/delivery.md). */
export interface HistoryHookOptions {
  /**
   * The cursor of a server render (`history(channel, { limit })` in a server component): every
   * event after it is delivered once the channel is subscribed, those published between render
   * and subscribe included, each exactly once.
   */
  cursor?: string | undefined;
  /** History could not fill a hole (trimmed by its bounds): refetch, e.g. `router.refresh()`. */
  onGap?: ((gap: HistoryGap) => void) | undefined;
}

/** Hands the cursor to the client and reports gaps of `channel` while mounted. */
export function useHistoryOptions(client: RealtimeClient, channel: string | null | undefined, options: HistoryHookOptions | undefined): void {
  const onGap = useRef(options?.onGap);
  useInsertionEffect(() => {
    onGap.current = options?.onGap;
  });
  const cursor = options?.cursor;
  useEffect(() => {
    if (channel && cursor !== undefined) client.resumeFrom(channel, cursor);
  }, [client, channel, cursor]);
  useEffect(() => {
    if (!channel) return;
    return client.on('history_gap', (gap) => {
      if (gap.channel === channel) onGap.current?.(gap);
    });
  }, [client, channel]);
}
