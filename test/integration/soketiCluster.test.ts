import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SignatureAuth } from '../../src/core/providerParts.js';
import { startSoketi, type SoketiProcess } from '../../scripts/soketiProcess.mjs';
import { createRealtimeClient, type RealtimeClient } from '../../src/client/index.js';
import { createRealtime, type Realtime } from '../../src/server/index.js';
import { collect, eventually } from '../support/events.js';

/**
 * Outgrowing one machine: several Soketi nodes share channels over a real Redis
 * (SOKETI_ADAPTER_DRIVER=redis). A publish sent to node A reaches a subscriber on node B, with
 * sender exclusion and presence working across nodes.
 */
describe('soketi on two nodes over Redis', () => {
  const prefix = `next-realtime-test-${process.pid}-${Date.now()}`;
  const redisEnv = {
    SOKETI_ADAPTER_DRIVER: 'redis',
    SOKETI_ADAPTER_REDIS_PREFIX: prefix,
    SOKETI_DB_REDIS_HOST: '127.0.0.1',
    SOKETI_DB_REDIS_PORT: '6379',
    SOKETI_DB_REDIS_KEY_PREFIX: prefix,
  };
  let nodeA: SoketiProcess;
  let nodeB: SoketiProcess;
  let publisherOnA: Realtime;
  const clients: RealtimeClient[] = [];

  const clientOn = (node: SoketiProcess, user: { id: string; info?: Record<string, unknown> }) => {
    const client = createRealtimeClient({
      provider: 'soketi',
      key: node.key,
      host: node.host,
      port: node.port,
      authorizeChannel: async ({ socketId, channel }) =>
        (publisherOnA.auth as SignatureAuth).authorizeChannel(socketId, channel, channel.startsWith('presence-') ? user : undefined),
    });
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    [nodeA, nodeB] = await Promise.all([startSoketi({ quiet: true, env: redisEnv }), startSoketi({ quiet: true, env: redisEnv })]);
    publisherOnA = createRealtime({ provider: 'soketi', appId: nodeA.appId, key: nodeA.key, secret: nodeA.secret, host: nodeA.host, port: nodeA.port });
  });
  afterAll(async () => {
    for (const client of clients) client.disconnect();
    await publisherOnA?.close();
    // Stop Soketi before Redis goes anywhere: without Redis it may ignore SIGTERM.
    await Promise.all([nodeA?.stop(), nodeB?.stop()]);
  });

  it('a publish to node A reaches a private-channel subscriber on node B, and not the excluded sender on A', async () => {
    const onB = clientOn(nodeB, { id: 'b' });
    const onA = clientOn(nodeA, { id: 'a' });
    const inboxB = collect(onB, 'private-cluster.1', 'msg');
    const inboxA = collect(onA, 'private-cluster.1', 'msg');
    await Promise.all([onB.whenSubscribed('private-cluster.1'), onA.whenSubscribed('private-cluster.1')]);
    await publisherOnA.publish('private-cluster.1', 'msg', 'from A, not to A', { socketId: onA.socketId });
    await publisherOnA.publish('private-cluster.1', 'msg', 'to everyone');
    expect(await inboxB.waitFor(2)).toEqual(['from A, not to A', 'to everyone']);
    expect(await inboxA.waitFor(1)).toEqual(['to everyone']);
  });

  it('presence members on different nodes see each other', async () => {
    const alice = clientOn(nodeA, { id: 'alice', info: { name: 'Alice' } });
    const bob = clientOn(nodeB, { id: 'bob', info: { name: 'Bob' } });
    alice.subscribe('presence-cluster.1', 'noop', () => {});
    await alice.whenSubscribed('presence-cluster.1');
    bob.subscribe('presence-cluster.1', 'noop', () => {});
    await bob.whenSubscribed('presence-cluster.1');
    await eventually(() => {
      expect(alice.members('presence-cluster.1').map((member) => member.id).sort()).toEqual(['alice', 'bob']);
      expect(bob.members('presence-cluster.1').map((member) => member.id).sort()).toEqual(['alice', 'bob']);
    });
  });
});
