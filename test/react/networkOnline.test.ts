// @vitest-environment happy-dom
import { afterEach, expect, it } from 'vitest';
import { createRealtimeClient, type RealtimeClient } from '../../src/client/index.js';
import { getMemoryHub } from '../../src/testing/index.js';
import { waitForState } from '../support/events.js';

const clients: RealtimeClient[] = [];
afterEach(() => clients.splice(0).forEach((client) => client.disconnect()));

it("a browser's 'online' event cuts a long backoff wait short (still within a jittered second)", async () => {
  const hubName = `online-${process.pid}`;
  const hub = getMemoryHub(hubName);
  const client = createRealtimeClient({ provider: 'memory', hub: hubName, tokenEndpoint: false, reconnect: { baseMs: 30_000, capMs: 30_000 } });
  clients.push(client);
  const delays: number[] = [];
  client.on('reconnect_scheduled', ({ delayMs }) => delays.push(delayMs));
  await client.connect();
  // Drop the connection until the scheduled retry is far off (it is uniform over 30 s).
  for (;;) {
    hub.setAvailable(false);
    expect(client.state).toBe('reconnecting');
    hub.setAvailable(true);
    if (delays.at(-1)! >= 2000) break;
    await waitForState(client, 'connected', 3000);
  }
  const before = Date.now();
  window.dispatchEvent(new Event('online'));
  await waitForState(client, 'connected', 2000);
  expect(Date.now() - before).toBeLessThan(1500);
});
