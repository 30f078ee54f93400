import type { RealtimeClient } from '../../src/client/index.js';

/** Collects what a client receives for one channel and event, and waits for a count. */
export function collect<T = unknown>(client: RealtimeClient, channel: string, event: string) {
  const received: T[] = [];
  const waiters: Array<{ count: number; resolve(): void }> = [];
  const unsubscribe = client.subscribe<T>(channel, event, (data) => {
    received.push(data);
    for (const waiter of [...waiters]) {
      if (received.length >= waiter.count) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  });
  return {
    received,
    unsubscribe,
    /** Resolves when `count` events have arrived; rejects after `timeoutMs`. */
    waitFor(count: number, timeoutMs = 5000): Promise<T[]> {
      if (received.length >= count) return Promise.resolve(received);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`expected ${count} "${event}" events on ${channel}, got ${received.length}: ${JSON.stringify(received)}`)),
          timeoutMs,
        );
        waiters.push({
          count,
          resolve: () => {
            clearTimeout(timer);
            resolve(received);
          },
        });
      });
    },
  };
}

export function waitForState(client: RealtimeClient, state: string, timeoutMs = 5000): Promise<void> {
  if (client.state === state) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`client did not reach state ${state} within ${timeoutMs} ms (is ${client.state})`));
    }, timeoutMs);
    const off = client.onStateChange((next) => {
      if (next === state) {
        clearTimeout(timer);
        off();
        resolve();
      }
    });
  });
}

export async function eventually(check: () => void | Promise<void>, timeoutMs = 5000, intervalMs = 25): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
}
