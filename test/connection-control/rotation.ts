import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RealtimeClient } from '../../src/client/index.js';
import { REAUTH_REQUIRED_EVENT, SYSTEM_CHANNEL, connectionChannelName, isRealtimeError } from '../../src/index.js';
import type { RotationStatus } from '../../src/server/index.js';
import { collect, eventually, waitForState } from '../support/events.js';
import { routeFetch } from '../support/routeFetch.js';
import { controlWorld, type ControlFamily, type ControlWorld, type Instance } from './families.js';

const kidOfToken = (token: string) => decodeProtectedHeader(token).kid;

/** One tab of the rotation fleet and what it went through. */
interface Tab {
  user: string;
  client: RealtimeClient;
  canReauth: boolean;
  channel: string;
  feed: ReturnType<typeof collect>;
  notices: unknown[];
  states: string[];
  reauthenticated: number;
  reauthErrors: unknown[];
  connectionId: string | undefined;
}

/**
 * A secret rotation with many live connections (1,000 on Soketi), state in real Redis, and two
 * "Next.js instances" the tabs alternate between. 90% of the tabs re-authenticate when told to
 * (the library client does it by itself); 10% cannot (an old tab that ignores the system channel).
 */
export function defineRotationSuite(makeFamily: () => ControlFamily): void {
  const family = makeFamily();
  const CONNECTIONS = family.rotationConnections;
  const BATCH = 100;
  const GRACE_MS = family.rotationGraceMs;
  const { old: OLD, new: NEW } = family.keys;
  let world: ControlWorld;
  let a: Instance;
  let b: Instance;
  const fleet: Tab[] = [];
  let connectedMs = 0;

  beforeAll(async () => {
    await family.start({ connections: CONNECTIONS });
    world = controlWorld(family, 'rotation');
    a = world.instance({ maxPerUser: 5 });
    b = world.instance({ maxPerUser: 5 });
    const started = Date.now();
    for (let offset = 0; offset < CONNECTIONS; offset += BATCH) {
      const batch: Tab[] = [];
      for (let index = offset; index < Math.min(offset + BATCH, CONNECTIONS); index++) {
        const user = `user-${index}`;
        const canReauth = index % 10 !== 0;
        const client = await world.browser(user, index % 2 ? b : a, canReauth ? {} : { systemEvents: false });
        const tab: Tab = {
          user,
          client,
          canReauth,
          channel: family.rotationFeed(index),
          feed: collect(client, family.rotationFeed(index), 'after-rotation'),
          notices: [],
          states: [],
          reauthenticated: 0,
          reauthErrors: [],
          connectionId: undefined,
        };
        client.subscribe(SYSTEM_CHANNEL, REAUTH_REQUIRED_EVENT, (notice) => tab.notices.push(notice));
        client.on('reauthenticated', () => (tab.reauthenticated += 1));
        client.on('reauth_failed', (error) => tab.reauthErrors.push(error));
        batch.push(tab);
      }
      await Promise.all(batch.map((tab) => Promise.all([world.signedIn(tab.client, tab.user, 30_000), tab.client.whenSubscribed(tab.channel)])));
      fleet.push(...batch);
    }
    connectedMs = Date.now() - started;
    console.log(`[rotation: ${family.name}] ${CONNECTIONS} connections signed in and subscribed in ${connectedMs} ms`);
  }, 120_000);

  afterAll(async () => {
    await world?.dispose();
    await family.stop();
  });

  it(`${CONNECTIONS} live connections: the ones that re-authenticate keep their connection, the rest are closed at the deadline, the old key is retired`, async () => {
    expect(a.control.keyring.current.kid).toBe(OLD);
    expect((await a.control.guard.liveConnections(fleet[1]!.user))[0]?.kid).toBe(OLD);
    for (const tab of fleet) expect(family.kidOf(tab.client, world.requests)).toBe(OLD);
    // Issued while the old key still signed, to check afterwards that it verifies nothing.
    const oldToken = world.requests.find((request) => request.token && kidOfToken(request.token) === OLD)!.token!;
    for (const tab of fleet) {
      tab.connectionId = family.idOf(tab.client);
      tab.client.onStateChange((state) => tab.states.push(state));
    }
    const expected = fleet.filter((tab) => tab.canReauth).length;

    const startedAt = Date.now();
    const started = await a.control.rotation.start({ toKid: NEW, graceMs: GRACE_MS });
    const announcedAt = Date.now();
    // Fast clients may already have re-authenticated by the time start() returns: every
    // connection is counted exactly once, and none is closed before the deadline.
    expect(started).toMatchObject({ phase: 'announced', toKid: NEW, fromKids: [OLD], closed: 0 });
    expect(started.pending + started.reauthenticated).toBe(CONNECTIONS);
    expect(started.pending).toBeGreaterThanOrEqual(CONNECTIONS - expected);
    // (a) the new key signs on both instances while the old one still verifies.
    expect(a.control.keyring.current.kid).toBe(NEW);
    await eventually(() => expect(b.control.keyring.current.kid).toBe(NEW));
    await expect(family.verify(b.control, oldToken)).resolves.toBeTruthy();

    // (b)+(c) every tab got the notice; the able ones re-authenticated in place.
    let lastReauthAt = 0;
    await eventually(() => {
      expect(fleet.filter((tab) => tab.reauthenticated + tab.reauthErrors.length > 0).length).toBe(expected);
      lastReauthAt = Date.now();
    }, GRACE_MS, 25);
    expect(fleet.flatMap((tab) => tab.reauthErrors)).toEqual([]);
    expect(fleet.filter((tab) => tab.notices.length !== 1).map((tab) => tab.user)).toEqual([]);
    expect(fleet.filter((tab) => !tab.canReauth).every((tab) => tab.reauthenticated === 0)).toBe(true);
    await eventually(async () => expect((await b.control.rotation.status(started.id))?.reauthenticated).toBe(expected), 5000, 100);
    const midway = (await b.control.rotation.status(started.id))!;
    expect(midway).toMatchObject({ phase: 'announced', pending: CONNECTIONS - expected, reauthenticated: expected, closed: 0 });

    // (d)+(e) at the deadline instance A's timer closes the rest and retires the old key.
    let done: RotationStatus | undefined;
    await eventually(async () => {
      done = await b.control.rotation.status(started.id);
      expect(done?.phase).toBe('completed');
    }, GRACE_MS + 10_000, 100);
    const completedAt = Date.now();
    expect(done).toMatchObject({ pending: 0, reauthenticated: expected, closed: CONNECTIONS - expected, gone: 0, collateral: 0 });

    const stale = fleet.filter((tab) => !tab.canReauth);
    const kept = fleet.filter((tab) => tab.canReauth);
    for (const tab of stale) {
      await waitForState(tab.client, 'disconnected', 3000);
      expect(tab.client.error).toMatchObject({ code: 'closed', details: { reason: 'reauth_deadline_passed', rotationId: started.id } });
    }
    await eventually(async () => {
      for (const tab of stale) expect(await family.openAtProvider(tab.user, a)).toBe(0);
    }, 3000);
    // Zero forced disconnects for those that re-authenticated: the same connection, never
    // dropped, signed in once more, now on a credential of the new key.
    expect(kept.filter((tab) => tab.states.length > 0 || tab.client.error !== undefined).map((tab) => tab.user)).toEqual([]);
    expect(kept.filter((tab) => tab.client.state !== 'connected' || tab.reauthenticated !== 1 || family.idOf(tab.client) !== tab.connectionId).map((tab) => tab.user)).toEqual([]);
    expect(kept.filter((tab) => family.kidOf(tab.client, world.requests) !== NEW).map((tab) => tab.user)).toEqual([]);
    // One request to the route handlers per re-authentication, which is what bounds a fleet's
    // rotation: the token, carrying the sign-in where the protocol has one (Pusher).
    const duringRotation = world.requests.filter((request) => request.at >= startedAt && request.at <= lastReauthAt);
    const requestsOf = (tab: Tab) => duringRotation.filter((request) => request.session === tab.user).map((request) => request.endpoint);
    expect(kept.filter((tab) => requestsOf(tab).join() !== 'token').map((tab) => [tab.user, requestsOf(tab)])).toEqual([]);

    // The operator now retires the old key at the provider where there is one (Ably): nothing
    // kept depends on it, and everyone kept still receives what is published afterwards.
    family.retireOldKeyAtProvider();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(kept.every((tab) => tab.client.state === 'connected')).toBe(true);
    await a.realtime.publish([...new Set(fleet.map((tab) => tab.channel))], 'after-rotation', { ok: true });
    await Promise.all(kept.map((tab) => tab.feed.waitFor(1, 10_000)));
    expect(kept.every((tab) => tab.feed.received.length === 1)).toBe(true);
    expect(stale.every((tab) => tab.feed.received.length === 0)).toBe(true);

    // The old key is retired on both instances: it verifies nothing, and a sign-in with a token
    // of the old key is refused.
    for (const instance of [a, b]) {
      await instance.control.keyring.refresh();
      expect(instance.control.keyring.find(OLD)).toBeUndefined();
      await expect(family.verify(instance.control, oldToken)).rejects.toSatisfy((error: unknown) => isRealtimeError(error, 'invalid_token'));
    }
    const signIn = await routeFetch(b.app)('/api/realtime/user-auth', {
      method: 'POST',
      headers: { authorization: `Bearer ${oldToken}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ socket_id: '1234.5678' }).toString(),
    });
    expect(signIn.status).toBe(401);
    expect(await signIn.json()).toMatchObject({ error: { code: 'invalid_token' } });

    // A tab opened afterwards signs in with the new key only.
    const latecomer = await world.browser('late', b);
    await world.signedIn(latecomer, 'late');
    expect(family.kidOf(latecomer, world.requests)).toBe(NEW);
    const lateTokens = world.requests.filter((request) => request.session === 'late' && request.token);
    expect(lateTokens.length).toBeGreaterThan(0);
    expect(lateTokens.every((request) => kidOfToken(request.token!) === NEW)).toBe(true);

    // Logout still works after the rotation (on Ably: with the old key gone at the provider).
    const leaving = kept[0]!;
    await b.control.terminateUser(leaving.user);
    await waitForState(leaving.client, 'disconnected', 3000);
    expect(leaving.client.error).toMatchObject({ code: 'closed', details: { reason: 'logout', ...family.closedBy } });

    console.log(
      `[rotation: ${family.name}] ${CONNECTIONS} connections: announce ${announcedAt - startedAt} ms (incl. the propagation wait); ` +
        `${expected} re-authenticated within ${lastReauthAt - announcedAt} ms of the announcement; deadline ${GRACE_MS} ms after it; ` +
        `${CONNECTIONS - expected} closed and old key retired ${(done!.completedAt ?? 0) - started.deadline} ms after the deadline; ` +
        `start to completed ${completedAt - startedAt} ms`,
    );
  }, 60_000);
}

/**
 * What a rotation does per user where the provider can only close all of a user's connections
 * at once (the Pusher protocol), and what happens when the instance that started it goes away.
 */
export function definePerUserRotationSuite(makeFamily: () => ControlFamily): void {
  const family = makeFamily();
  const { old: OLD, new: NEW } = family.keys;
  let world: ControlWorld;
  let a: Instance;
  let b: Instance;

  beforeAll(async () => {
    await family.start();
    world = controlWorld(family, 'rotation-users');
    a = world.instance({ joinGraceMs: 1000, refreshMs: 200 });
    b = world.instance({ joinGraceMs: 1000, refreshMs: 200 });
  });
  afterAll(async () => {
    await world?.dispose();
    await family.stop();
  });

  it('closes users with a live stale connection (re-authenticated tabs of that user too, counted as collateral), spares users whose stale record was a closed tab, and can be finished by another instance', async () => {
    const reauths = new Map<RealtimeClient, number>();
    const open = async (user: string, instance: Instance, reauthenticates: boolean, options: { connectionChannel?: boolean; cuttable?: boolean } = {}) => {
      const client = await world.browser(user, instance, { ...options, ...(reauthenticates ? {} : { systemEvents: false }) });
      reauths.set(client, 0);
      client.on('reauthenticated', () => reauths.set(client, reauths.get(client)! + 1));
      return { user, client, joins: options.connectionChannel !== false };
    };
    const miaFresh = await open('mia', a, true);
    const miaStale = await open('mia', b, false);
    const noahFresh = await open('noah', b, true);
    const noahClosed = await open('noah', a, false, { cuttable: true });
    const olga = await open('olga', a, false);
    const pete = await open('pete', b, true);
    // quinn's tabs never join their connection channel: the server cannot tell which is live.
    const quinnFresh = await open('quinn', a, true, { connectionChannel: false });
    const quinnStale = await open('quinn', b, false, { connectionChannel: false });
    const all = [miaFresh, miaStale, noahFresh, noahClosed, olga, pete, quinnFresh, quinnStale];
    await Promise.all(all.map((tab) => (tab.joins ? world.signedIn(tab.client, tab.user) : world.signedInWithoutConnectionChannel(tab.client))));
    // noah closed this tab before the rotation; its record stays in the store (nothing pruned it).
    world.cut(noahClosed.client);
    const provider = await a.realtime.getProvider();
    const noahChannel = await connectionChannelName('noah');
    await eventually(async () => expect(await provider.presenceMemberIds!(noahChannel)).toEqual([family.idOf(noahFresh.client)]), 5000, 100);
    const states = new Map(all.map((tab) => [tab.client, [] as string[]]));
    for (const tab of all) tab.client.onStateChange((state) => states.get(tab.client)!.push(state));

    const started = await a.control.rotation.start({ toKid: NEW, graceMs: 1500 });
    // Instance A "dies": its deadline timer never fires. Instance B finishes the rotation.
    a.control.rotation.dispose();
    // Fast clients may already have re-authenticated when start() returns: each of the 8
    // connections is counted once, none closed before the deadline.
    expect(started).toMatchObject({ fromKids: [OLD], closed: 0 });
    expect(started.pending + started.reauthenticated).toBe(8);
    await expect(a.control.rotation.start({ toKid: NEW })).rejects.toSatisfy((error: unknown) => isRealtimeError(error, 'invalid_config'));

    await eventually(() => expect([miaFresh, noahFresh, pete, quinnFresh].every((tab) => reauths.get(tab.client) === 1)).toBe(true), 3000);
    // Before the deadline, enforcing changes nothing.
    expect(await b.control.rotation.enforceDeadline()).toMatchObject({ phase: 'announced', closed: 0 });

    await new Promise((resolve) => setTimeout(resolve, Math.max(0, started.deadline - Date.now()) + 50));
    const done = await b.control.rotation.enforceDeadline();
    // mia: a live stale tab -> terminated, her re-authenticated tab with it (collateral);
    // olga: only a stale tab -> terminated; noah: the stale record is a closed tab -> gone, not closed;
    // quinn: like mia, because without the connection channel no stale record can be proven closed.
    expect(done).toMatchObject({ phase: 'completed', reauthenticated: 4, closed: 3, gone: 1, collateral: 2, pending: 0 });

    for (const closed of [miaFresh, miaStale, olga, quinnFresh, quinnStale]) {
      await waitForState(closed.client, 'disconnected', 5000);
      expect(closed.client.error).toMatchObject({ code: 'closed', details: { reason: 'reauth_deadline_passed', rotationId: started.id, ...family.closedBy } });
    }
    for (const kept of [noahFresh, pete]) {
      expect(kept.client.state).toBe('connected');
      expect(states.get(kept.client)).toEqual([]);
      expect(kept.client.error).toBeUndefined();
    }
    // The old key is retired everywhere: nothing is left to rotate to the new one from.
    await a.control.keyring.refresh();
    expect(a.control.keyring.entries.map((entry) => entry.kid)).toEqual([NEW]);
    await expect(b.control.rotation.start({ toKid: NEW })).rejects.toSatisfy((error: unknown) => isRealtimeError(error, 'invalid_config'));
  }, 30_000);
}
