import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSoketi, type SoketiProcess } from '../../scripts/soketiProcess.mjs';
import { parseKeyring } from '../../src/core/keyring.js';
import { isRealtimeError } from '../../src/core/errors.js';
import { createConnectionGuard } from '../../src/server/connections/connectionGuard.js';
import { createRealtime } from '../../src/server/realtime.js';
import { createRotatingKeyring } from '../../src/server/rotation/rotatingKeyring.js';
import { eventually } from '../support/events.js';
import { redisNamespace } from '../support/redisFixture.js';
import { connectSignedInClient, createAuthInstance, type AuthInstance, type SignedInClient } from '../support/signedInClients.js';

/**
 * Per-user connection limits and logout against real Soketi, with two "Next.js instances" (each
 * its own realtime handle, Redis connection, keyring and guard) sharing one Redis.
 */
let soketi: SoketiProcess;
const redis = redisNamespace('limits');
const instances: AuthInstance[] = [];
const disposers: Array<() => void> = [];
const clients: SignedInClient[] = [];

function makeInstance(): AuthInstance {
  const realtime = createRealtime({ provider: 'soketi', appId: soketi.appId, key: soketi.key, secret: soketi.secret, host: '127.0.0.1', port: soketi.port });
  const store = redis.store();
  const keyring = createRotatingKeyring({ keyring: parseKeyring('k1:first-secret-0123456789'), store });
  const guard = createConnectionGuard({ realtime, store, keyring, maxPerUser: 5, joinGraceMs: 3000 });
  disposers.push(keyring.dispose, guard.dispose);
  return createAuthInstance({ realtime, keyring, guard });
}

function open(userId: string, instance: AuthInstance): SignedInClient {
  const client = connectSignedInClient({ host: '127.0.0.1', port: soketi.port, key: soketi.key, userId, instance });
  clients.push(client);
  return client;
}

beforeAll(async () => {
  soketi = await startSoketi({ quiet: true });
  instances.push(makeInstance(), makeInstance());
});

afterAll(async () => {
  for (const client of clients) client.disconnect();
  for (const dispose of disposers) dispose();
  await Promise.all(instances.map((instance) => instance.realtime.close()));
  await soketi?.stop();
  await redis.cleanup();
});

describe('per-user connection limit across two instances sharing Redis', () => {
  it('refuses the 6th tab with too_many_connections and lets a new one in after one closes', async () => {
    const [a, b] = instances as [AuthInstance, AuthInstance];
    const tabs = [open('alice', a), open('alice', b), open('alice', a), open('alice', b), open('alice', a)];
    await Promise.all(tabs.map((tab) => tab.ready));

    const sixth = open('alice', b);
    await expect(sixth.ready).rejects.toSatisfy((error: unknown) => isRealtimeError(error, 'too_many_connections'));
    expect((sixth.authError as { status?: number }).status).toBe(429);
    expect(sixth.authError?.message).toMatch(/limit is 5/);
    expect(sixth.signins).toBe(0);
    // The other five are untouched, and another user is not affected by alice's limit.
    expect(tabs.every((tab) => tab.pusher.connection.state === 'connected' && tab.statesAfterConnected.length === 0)).toBe(true);
    const bob = open('bob', b);
    await bob.ready;

    tabs[0]!.disconnect();
    // Soketi drops the closed socket from alice's connection channel; the guard asks, frees the slot.
    await eventually(async () => {
      const seventh = open('alice', a === instances[0] ? b : a);
      try {
        await seventh.ready;
      } catch (error) {
        seventh.disconnect();
        throw error;
      }
    }, 5000, 200);
    expect((await a.guard.liveConnections('alice')).length).toBe(5);

    const eighth = open('alice', a);
    await expect(eighth.ready).rejects.toSatisfy((error: unknown) => isRealtimeError(error, 'too_many_connections'));
  });

  it('frees the slots of connections that died without a goodbye (no leaked slots)', async () => {
    const [a, b] = instances as [AuthInstance, AuthInstance];
    const tabs = Array.from({ length: 5 }, (_, index) => open('carol', index % 2 ? a : b));
    await Promise.all(tabs.map((tab) => tab.ready));
    // Cut the TCP connections abruptly, as a crashed browser or a dropped network would.
    for (const tab of tabs) tab.cut();
    await eventually(async () => {
      expect((await b.guard.liveConnections('carol')).length).toBe(0);
    }, 8000, 200);
    const again = Array.from({ length: 5 }, () => open('carol', b));
    await Promise.all(again.map((tab) => tab.ready));
  });
});

describe('logout', () => {
  it('closes every tab of the user on every instance, says why, and frees the slots', async () => {
    const [a, b] = instances as [AuthInstance, AuthInstance];
    const tabs = [open('dave', a), open('dave', b), open('dave', a)];
    const other = open('erin', b);
    await Promise.all([...tabs, other].map((tab) => tab.ready));

    await a.guard.terminateUser('dave');
    await eventually(() => {
      for (const tab of tabs) {
        expect(tab.pusher.connection.state).toBe('disconnected');
        expect(tab.closeCodes).toContain(4009);
        expect(tab.closedNotices).toEqual([expect.objectContaining({ reason: 'logout' })]);
      }
    });
    expect(other.pusher.connection.state).toBe('connected');
    expect(other.statesAfterConnected).toEqual([]);
    expect(await b.guard.liveConnections('dave')).toEqual([]);

    // All five slots are free at once (no waiting for the provider to notice).
    const fresh = Array.from({ length: 5 }, (_, index) => open('dave', index % 2 ? a : b));
    await Promise.all(fresh.map((tab) => tab.ready));
  });
});
