import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSoketi, type SoketiProcess } from '../../scripts/soketiProcess.mjs';
import { isRealtimeError } from '../../src/core/errors.js';
import { parseKeyring } from '../../src/core/keyring.js';
import { REAUTH_REQUIRED_EVENT } from '../../src/core/systemEvents.js';
import { createConnectionGuard } from '../../src/server/connections/connectionGuard.js';
import { createRealtime } from '../../src/server/realtime.js';
import { createSecretRotation, type RotationStatus, type SecretRotation } from '../../src/server/rotation/rotation.js';
import { createRotatingKeyring, type RotatingKeyring } from '../../src/server/rotation/rotatingKeyring.js';
import { signRealtimeToken, verifyRealtimeToken } from '../../src/core/realtimeToken.js';
import { eventually } from '../support/events.js';
import { redisNamespace } from '../support/redisFixture.js';
import { connectSignedInClient, createAuthInstance, userAuth, type AuthInstance, type SignedInClient } from '../support/signedInClients.js';

/**
 * A secret rotation with 1,000 live pusher-js connections on one real Soketi, state in real Redis,
 * and two "Next.js instances" (own realtime handle, Redis connection, keyring, guard) that the
 * clients alternate between. 90% of the clients re-authenticate when told to; 10% cannot.
 */
const CONNECTIONS = Number(process.env.ROTATION_TEST_CONNECTIONS ?? 1000);
const BATCH = 100;
const GRACE_MS = 5000;
const NEWS = 'news';

let soketi: SoketiProcess;
const redis = redisNamespace('rotation');
const disposers: Array<() => void> = [];
const clients: SignedInClient[] = [];
let instances: Array<AuthInstance & { keyring: RotatingKeyring; rotation: SecretRotation }>;
// Issued while the old key still signed, to check afterwards that it verifies nothing.
let oldToken: string;

function makeInstance() {
  const realtime = createRealtime({ provider: 'soketi', appId: soketi.appId, key: soketi.key, secret: soketi.secret, host: '127.0.0.1', port: soketi.port });
  const store = redis.store();
  // Deployed with the new key behind the old one: the old key signs until the rotation starts.
  const keyring = createRotatingKeyring({ keyring: parseKeyring('old:old-secret-0123456789abcdef,new:new-secret-fedcba9876543210'), store, refreshMs: 500 });
  const guard = createConnectionGuard({ realtime, store, keyring, maxPerUser: 5 });
  const rotation = createSecretRotation({ realtime, store, keyring, propagationMs: 700 });
  disposers.push(keyring.dispose, guard.dispose, rotation.dispose);
  return { ...createAuthInstance({ realtime, keyring, guard }), keyring, rotation };
}

const canReauthenticate = (index: number) => index % 10 !== 0;

beforeAll(async () => {
  soketi = await startSoketi({ quiet: true, env: { SOKETI_DEFAULT_APP_MAX_CONNS: String(CONNECTIONS * 2) } });
  instances = [makeInstance(), makeInstance()];
  oldToken = (await signRealtimeToken(instances[0]!.keyring, 'someone')).token;

  const started = Date.now();
  for (let offset = 0; offset < CONNECTIONS; offset += BATCH) {
    const batch: SignedInClient[] = [];
    for (let index = offset; index < Math.min(offset + BATCH, CONNECTIONS); index++) {
      const instance = instances[index % 2]!;
      const client = connectSignedInClient({ host: '127.0.0.1', port: soketi.port, key: soketi.key, userId: `user-${index}`, instance, channels: [NEWS], timeoutMs: 30_000 });
      batch.push(client);
    }
    await Promise.all(batch.map((client) => client.ready));
    clients.push(...batch);
  }
  console.log(`[rotation] ${CONNECTIONS} connections signed in and subscribed in ${Date.now() - started} ms`);
}, 120_000);

afterAll(async () => {
  for (const client of clients) client.disconnect();
  for (const dispose of disposers) dispose();
  await Promise.all((instances ?? []).map((instance) => instance.realtime.close()));
  await soketi?.stop();
  await redis.cleanup();
});

describe(`secret rotation with ${CONNECTIONS} live connections`, () => {
  it('keeps every connection that re-authenticates, closes the rest at the deadline, then retires the old key', async () => {
    const [a, b] = instances as [(typeof instances)[0], (typeof instances)[0]];
    expect(a.keyring.current.kid).toBe('old');
    expect((await a.guard.liveConnections('user-1'))[0]?.kid).toBe('old');

    // The client side of re-authentication, driven here with pusher-js directly: on
    // reauth_required, fetch a token (now signed by the new key) and sign in again in place.
    const reauthenticated: number[] = [];
    const reauthErrors: unknown[] = [];
    let lastReauthAt = 0;
    clients.forEach((client, index) => {
      if (!canReauthenticate(index)) return;
      client.pusher.channel('realtime-system')!.bind(REAUTH_REQUIRED_EVENT, () => {
        client.reauthenticate(instances[index % 2]!).then(
          () => {
            reauthenticated.push(index);
            lastReauthAt = Date.now();
          },
          (error: unknown) => reauthErrors.push(error),
        );
      });
    });

    const startedAt = Date.now();
    const started = await a.rotation.start({ toKid: 'new', graceMs: GRACE_MS });
    const announcedAt = Date.now();
    expect(started).toMatchObject({ phase: 'announced', toKid: 'new', fromKids: ['old'], pending: CONNECTIONS, reauthenticated: 0 });
    // (a) the new key signs on both instances while the old one still verifies.
    expect(a.keyring.current.kid).toBe('new');
    await eventually(() => expect(b.keyring.current.kid).toBe('new'));
    await expect(verifyRealtimeToken(b.keyring, oldToken)).resolves.toMatchObject({ kid: 'old' });

    // (b)+(c) every client got the notice; the able ones re-authenticated in place.
    const expected = clients.filter((_, index) => canReauthenticate(index)).length;
    await eventually(() => expect(reauthenticated.length + reauthErrors.length).toBe(expected), GRACE_MS);
    expect(reauthErrors).toEqual([]);
    expect(clients.every((client) => client.reauthNotices.length === 1)).toBe(true);
    const midway = (await b.rotation.status(started.id))!;
    expect(midway).toMatchObject({ phase: 'announced', pending: CONNECTIONS - expected, reauthenticated: expected, closed: 0 });

    // (d)+(e) at the deadline instance A's timer closes the rest and retires the old key.
    let done: RotationStatus | undefined;
    await eventually(async () => {
      done = await b.rotation.status(started.id);
      expect(done?.phase).toBe('completed');
    }, GRACE_MS + 10_000, 100);
    const completedAt = Date.now();
    expect(done).toMatchObject({ pending: 0, reauthenticated: expected, closed: CONNECTIONS - expected, gone: 0, collateral: 0 });

    await eventually(() => {
      clients.forEach((client, index) => {
        if (canReauthenticate(index)) return;
        expect(client.pusher.connection.state).toBe('disconnected');
        expect(client.closeCodes).toContain(4009);
        expect(client.closedNotices).toEqual([expect.objectContaining({ reason: 'reauth_deadline_passed', rotationId: started.id })]);
      });
    });
    // Zero forced disconnects for those that re-authenticated.
    const keptClients = clients.filter((_, index) => canReauthenticate(index));
    expect(keptClients.filter((client) => client.statesAfterConnected.length > 0 || client.closeCodes.length > 0)).toEqual([]);
    expect(keptClients.every((client) => client.pusher.connection.state === 'connected' && client.signins === 2)).toBe(true);

    // ...and they still receive what is published afterwards.
    const afterRotation = (client: SignedInClient) => client.received.filter((event) => event.event === 'after-rotation').length;
    await a.realtime.publish(NEWS, 'after-rotation', { ok: true });
    await eventually(() => {
      expect(keptClients.filter((client) => afterRotation(client) === 1).length).toBe(keptClients.length);
    });
    expect(clients.filter((_, index) => !canReauthenticate(index)).every((client) => afterRotation(client) === 0)).toBe(true);

    // The old key verifies nothing on either instance; a sign-in with an old token is refused.
    for (const instance of [a, b]) {
      await instance.keyring.refresh();
      expect(instance.keyring.find('old')).toBeUndefined();
      await expect(verifyRealtimeToken(instance.keyring, oldToken)).rejects.toSatisfy((error: unknown) => isRealtimeError(error, 'invalid_token'));
    }
    const stranger = keptClients[0]!;
    await expect(userAuth(b, oldToken, stranger.socketId)).rejects.toSatisfy((error: unknown) => isRealtimeError(error, 'invalid_token'));

    console.log(
      `[rotation] ${CONNECTIONS} connections: announce ${announcedAt - startedAt} ms (incl. ${700} ms propagation wait); ` +
        `${expected} re-authenticated ${lastReauthAt - announcedAt} ms after the announcement; ` +
        `deadline ${GRACE_MS} ms after it; ${CONNECTIONS - expected} closed and old key retired ` +
        `${(done!.completedAt ?? 0) - started.deadline} ms after the deadline; start to completed ${completedAt - startedAt} ms`,
    );
  }, 60_000);
});
