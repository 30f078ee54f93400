import { expect, it } from 'vitest';
import { Realtime } from 'ably';
import { startAblyStandIn } from '../support/ably/standIn.js';
import { createRealtime } from '../../src/server/index.js';

it('spike', async () => {
  const key = 'app1.key1:secret-one';
  const standIn = await startAblyStandIn({ keys: [key] });
  const sub = new Realtime({ key, ...standIn.clientOptions, logLevel: 2 });
  const ch = sub.channels.get('orders.1');
  const got: unknown[] = [];
  await ch.subscribe((m) => got.push([m.name, m.data]));
  const realtime = createRealtime({ provider: 'ably', apiKeys: [key], endpoint: 'localhost', port: standIn.port, tls: false });
  await realtime.publish('orders.1', 'e', { a: 1 });
  await realtime.publish('orders.1', 'e', 42);
  await realtime.publish(['orders.1', 'orders.2'], 'm', 'x');
  await new Promise((r) => setTimeout(r, 300));
  console.log(got, standIn.requests);
  expect(got.length).toBe(3);
  sub.close();
  await realtime.close();
  await standIn.close();
});
