import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSoketi, type SoketiProcess } from '../../scripts/soketiProcess.mjs';
import { isRealtimeError } from '../../src/core/errors.js';
import { parseKeyring } from '../../src/core/keyring.js';
import { REAUTH_REQUIRED_EVENT, connectionChannelName } from '../../src/core/systemEvents.js';
import { createConnectionGuard } from '../../src/server/connections/connectionGuard.js';
import { createRealtime } from '../../src/server/realtime.js';
import { createSecretRotation, type SecretRotation } from '../../src/server/rotation/rotation.js';
import { createRotatingKeyring, type RotatingKeyring } from '../../src/server/rotation/rotatingKeyring.js';
import { eventually } from '../support/events.js';
import { redisNamespace } from '../support/redisFixture.js';
import { connectSignedInClient, createAuthInstance, type AuthInstance, type SignedInClient } from '../support/signedInClients.js';

/**
 * What a rotation does per user, where the Pusher protocol can only close all of a user's
 * connections at once, and what happens when the instance that started it goes away.
 */
let soketi: SoketiProcess;
const redis = redisNamespace('rotation-users');
const disposers: Array<() => void> = [];
const clients: SignedInClient[] = [];
type Instance = AuthInstance & { keyring: RotatingKeyring; rotation: SecretRotation };
let a: Instance;
let b: Instance;

function makeInstance(): Instance {
  const realtime = createRealtime({ provider: 'soketi', appId: soketi.appId, key: soketi.key, secret: soketi.secret, host: '127.0.0.1', port: soketi.port });
  const store = redis.store();
  const keyring = createRotatingKeyring({ keyring: parseKeyring('v1:secret-one-0123456789abcdef,v2:secret-two-fedcba9876543210'), store, refreshMs: 200 });
  const guard = createConnectionGuard({ realtime, store, keyring, joinGraceMs: 1000 });
  const rotation = createSecretRotation({ realtime, store, keyring, propagationMs: 300, joinGraceMs: 1000 });
  disposers.push(keyring.dispose, guard.dispose, rotation.dispose);
  return { ...createAuthInstance({ realtime, keyring, guard }), keyring, rotation };
}

function open(userId: string, instance: Instance, reauthenticates: boolean, joinConnectionChannel = true): SignedInClient {
  const client = connectSignedInClient({ host: '127.0.0.1', port: soketi.port, key: soketi.key, userId, instance, joinConnectionChannel });
  if (reauthenticates) {
    void client.ready.then(() => client.pusher.channel('realtime-system')!.bind(REAUTH_REQUIRED_EVENT, () => void client.reauthenticate(instance)));
  }
  clients.push(client);
  return client;
}

beforeAll(async () => {
  soketi = await startSoketi({ quiet: true });
  a = makeInstance();
  b = makeInstance();
});

afterAll(async () => {
  for (const client of clients) client.disconnect();
  for (const dispose of disposers) dispose();
  await Promise.all([a, b].filter(Boolean).map((instance) => instance.realtime.close()));
  await soketi?.stop();
  await redis.cleanup();
});

describe('rotation, per user', () => {
  it('closes users with a live stale connection (re-authenticated tabs of that user too, counted as collateral), spares users whose stale record was a closed tab, and can be finished by another instance', async () => {
    const miaFresh = open('mia', a, true);
    const miaStale = open('mia', b, false);
    const noahFresh = open('noah', b, true);
    const noahClosed = open('noah', a, false);
    const olga = open('olga', a, false);
    const pete = open('pete', b, true);
    // quinn's clients never join their connection channel: the server cannot tell which is live.
    const quinnFresh = open('quinn', a, true, false);
    const quinnStale = open('quinn', b, false, false);
    await Promise.all(clients.map((client) => client.ready));
    // noah closed this tab before the rotation; its record stays in the store (nothing pruned it).
    noahClosed.cut();
    const provider = await a.realtime.getProvider();
    const noahChannel = await connectionChannelName('noah');
    await eventually(async () => expect(await provider.presenceMemberIds!(noahChannel)).toEqual([noahFresh.socketId]), 5000, 100);

    const started = await a.rotation.start({ toKid: 'v2', graceMs: 1500 });
    // Instance A "dies": its deadline timer never fires. Instance B finishes the rotation.
    a.rotation.dispose();
    expect(started.pending).toBe(8);
    await expect(a.rotation.start({ toKid: 'v2' })).rejects.toSatisfy((error: unknown) => isRealtimeError(error, 'invalid_config'));

    await eventually(() => expect([miaFresh, noahFresh, pete, quinnFresh].every((client) => client.signins === 2)).toBe(true), 3000);
    // Before the deadline, enforcing changes nothing.
    expect(await b.rotation.enforceDeadline()).toMatchObject({ phase: 'announced', closed: 0 });

    await new Promise((resolve) => setTimeout(resolve, Math.max(0, started.deadline - Date.now()) + 50));
    const done = await b.rotation.enforceDeadline();
    // mia: a live stale tab -> terminated, her re-authenticated tab with it (collateral);
    // olga: only a stale tab -> terminated; noah: the stale record is a closed tab -> gone, not closed;
    // quinn: like mia, because without the connection channel no stale record can be proven closed.
    expect(done).toMatchObject({ phase: 'completed', reauthenticated: 4, closed: 3, gone: 1, collateral: 2, pending: 0 });

    await eventually(() => {
      for (const closed of [miaFresh, miaStale, olga, quinnFresh, quinnStale]) {
        expect(closed.pusher.connection.state).toBe('disconnected');
        expect(closed.closedNotices).toEqual([expect.objectContaining({ reason: 'reauth_deadline_passed', rotationId: started.id })]);
      }
    });
    for (const kept of [noahFresh, pete]) {
      expect(kept.pusher.connection.state).toBe('connected');
      expect(kept.statesAfterConnected).toEqual([]);
      expect(kept.closeCodes).toEqual([]);
    }
    // v1 is retired everywhere: nothing is left to rotate to v2 from.
    await a.keyring.refresh();
    expect(a.keyring.entries.map((entry) => entry.kid)).toEqual(['v2']);
    await expect(b.rotation.start({ toKid: 'v2' })).rejects.toSatisfy((error: unknown) => isRealtimeError(error, 'invalid_config'));
  });
});
