import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RealtimeClient } from '../../src/client/index.js';
import { connectionChannelName, isRealtimeError } from '../../src/index.js';
import { collect, eventually, waitForState } from '../support/events.js';
import { controlWorld, type ControlFamily, type ControlWorld, type Instance } from './families.js';

/**
 * Per-user connection limits and logout, with two "Next.js instances" (each its own realtime
 * handle and connection control over its own Redis connection) sharing one Redis.
 */
export function defineLimitsSuite(makeFamily: () => ControlFamily): void {
  const family = makeFamily();
  let world: ControlWorld;
  let a: Instance;
  let b: Instance;
  const LIMIT = 3;

  beforeAll(async () => {
    await family.start();
    world = controlWorld(family, 'limits');
    a = world.instance({ maxPerUser: LIMIT });
    b = world.instance({ maxPerUser: LIMIT });
  });
  afterAll(async () => {
    await world?.dispose();
    await family.stop();
  });

  const ids = (tabs: RealtimeClient[]) => tabs.map((tab) => family.idOf(tab)).sort();
  const liveIds = async (instance: Instance, user: string) => (await instance.control.guard.liveConnections(user)).map((record) => record.socketId).sort();
  const presentIds = async (instance: Instance, user: string) =>
    ((await (await instance.realtime.getProvider()).presenceMemberIds!(await connectionChannelName(user))) as string[]).sort();

  describe('per-user connection limit across two instances sharing Redis', () => {
    it('the N+1th tab is refused with too_many_connections (429), the others and other users untouched; a closed tab frees its slot', async () => {
      const tabs = [await world.browser('alice', a), await world.browser('alice', b), await world.browser('alice', a)];
      await Promise.all(tabs.map((tab) => world.signedIn(tab, 'alice')));
      // Each tab signed in for its own connection, and the provider lists it on the connection channel.
      for (const tab of tabs) {
        expect(world.requests.some((request) => request.session === 'alice' && request.socketId === family.idOf(tab) && request.status === 200)).toBe(true);
      }
      expect(await presentIds(a, 'alice')).toEqual(ids(tabs));
      expect(await liveIds(a, 'alice')).toEqual(ids(tabs));
      const states: string[] = [];
      for (const tab of tabs) tab.onStateChange((state) => states.push(state));

      const refused = await world.browser('alice', b);
      refused.subscribe('private-feed.1', 'x', () => {});
      await eventually(() => expect(isRealtimeError(refused.error, 'too_many_connections')).toBe(true), 8000);
      expect(refused.error?.message).toMatch(new RegExp(`limit is ${LIMIT}`));
      expect(refused.state).not.toBe('auth_failed');
      expect(world.requests.some((request) => request.session === 'alice' && request.status === 429 && request.code === 'too_many_connections')).toBe(true);
      // The refused tab keeps retrying with backoff, refused each time, and never joins the
      // connection channel; the other tabs are untouched.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(await liveIds(a, 'alice')).toEqual(ids(tabs));
      expect(await presentIds(b, 'alice')).toEqual(ids(tabs));
      expect(refused.subscriptionStatus(await connectionChannelName('alice'))).not.toBe('subscribed');
      expect(tabs.every((tab) => tab.state === 'connected')).toBe(true);
      expect(states).toEqual([]);
      // Another user is not affected by alice's limit.
      const bob = await world.browser('bob', b);
      await world.signedIn(bob, 'bob');

      // A tab closes: the provider drops it from the connection channel, the guard asks, the slot
      // is free, and the refused tab (still retrying) gets in.
      tabs[0]!.disconnect();
      await world.signedIn(refused, 'alice', 10_000);
      expect(refused.state).toBe('connected');
      expect(await liveIds(b, 'alice')).toEqual(ids([tabs[1]!, tabs[2]!, refused]));
      await eventually(async () => expect(await family.openAtProvider('alice', a)).toBe(LIMIT), 3000);

      // Full again: one more is refused.
      const another = await world.browser('alice', a);
      await eventually(() => expect(isRealtimeError(another.error, 'too_many_connections')).toBe(true), 8000);
      another.disconnect();
    }, 40_000);

    it('frees the slots of connections that died without a goodbye (no leaked slots)', async () => {
      const tabs = await Promise.all(Array.from({ length: LIMIT }, (_, index) => world.browser('carol', index % 2 ? a : b, { cuttable: true })));
      await Promise.all(tabs.map((tab) => world.signedIn(tab, 'carol')));
      // Cut the TCP connections abruptly, as a crashed browser or a dropped network would.
      for (const tab of tabs) world.cut(tab);
      await eventually(async () => expect(await b.control.guard.liveConnections('carol')).toHaveLength(0), 8000, 200);
      const again = await Promise.all(Array.from({ length: LIMIT }, () => world.browser('carol', b)));
      await Promise.all(again.map((tab) => world.signedIn(tab, 'carol')));
    }, 30_000);
  });

  describe('logout', () => {
    it('terminateUser closes every tab of the user on every instance, says why, frees the slots, and the tabs stay closed', async () => {
      const tabs = [await world.browser('dave', a), await world.browser('dave', b), await world.browser('dave', a)];
      const other = await world.browser('erin', b);
      await Promise.all([...tabs.map((tab) => world.signedIn(tab, 'dave')), world.signedIn(other, 'erin')]);
      expect(await a.control.store.connections('dave')).toHaveLength(3);
      const otherStates: string[] = [];
      other.onStateChange((state) => otherStates.push(state));

      await b.control.terminateUser('dave');
      await Promise.all(tabs.map((tab) => waitForState(tab, 'disconnected', 5000)));
      // Told why (realtime:connection_closed), then closed by the provider.
      for (const tab of tabs) expect(tab.error).toMatchObject({ code: 'closed', details: { reason: 'logout', ...family.closedBy } });
      await eventually(async () => expect(await family.openAtProvider('dave', a)).toBe(0), 3000);
      expect(await a.control.store.connections('dave')).toEqual([]);
      expect(await b.control.guard.liveConnections('dave')).toEqual([]);
      // Another user is not affected, and the closed tabs stay closed (no reconnect loop).
      await new Promise((resolve) => setTimeout(resolve, 800));
      expect(other.state).toBe('connected');
      expect(otherStates).toEqual([]);
      expect(tabs.every((tab) => tab.state === 'disconnected')).toBe(true);
      expect(await family.openAtProvider('dave', a)).toBe(0);

      // Every slot is free at once (no waiting for the provider to notice).
      const fresh = await Promise.all(Array.from({ length: LIMIT }, (_, index) => world.browser('dave', index % 2 ? a : b)));
      await Promise.all(fresh.map((tab) => world.signedIn(tab, 'dave')));
    }, 20_000);
  });

  describe('the connection channel', () => {
    it("is granted to its own user (with presence), never to another user; asking records no connection", async () => {
      const own = await connectionChannelName('grace');
      const other = await connectionChannelName('heidi');
      const granted = await family.grantedChannels(a, 'grace', [own, other, 'private-feed.3']);
      expect(granted.sort()).toEqual([own, 'private-feed.3'].sort());
      // No connection was recorded: only a sign-in of a live connection is one.
      expect(await a.control.store.connections('grace')).toEqual([]);
    });
  });

  describe('a connection that renews its credentials keeps its slot', () => {
    it('with a limit of 1, a renewed connection signs in again without being refused and still receives', async () => {
      const single = world.instance({ maxPerUser: 1, joinGraceMs: 1000 });
      const frank = await world.browser('frank', single);
      await world.signedIn(frank, 'frank');
      const feed = collect(frank, 'private-feed.9', 'ping');
      await frank.whenSubscribed('private-feed.9');
      // Past joinGraceMs (1 s): until then a record that was never listed may belong to a
      // connection still joining, and is kept anyway.
      await new Promise((resolve) => setTimeout(resolve, 1200));
      const states: string[] = [];
      frank.onStateChange((state, error) => states.push(`${state}${error ? ` ${(error as { code?: string }).code}` : ''}`));
      const before = world.requests.filter((request) => request.session === 'frank' && request.endpoint === 'token').length;
      await family.renew(frank);
      await eventually(async () => {
        expect(frank.state).toBe('connected');
        expect(await presentIds(single, 'frank')).toEqual([family.idOf(frank)]);
        expect(await liveIds(single, 'frank')).toEqual([family.idOf(frank)]);
      }, 8000, 100);
      // It fetched a new token for that, and nothing was refused.
      expect(world.requests.filter((request) => request.session === 'frank' && request.endpoint === 'token').length).toBeGreaterThan(before);
      expect(world.requests.filter((request) => request.session === 'frank' && request.status !== 200)).toEqual([]);
      expect(states).toEqual(family.renewalStates);
      await single.realtime.publish('private-feed.9', 'ping', 1);
      await feed.waitFor(1);
      frank.disconnect();
    }, 20_000);
  });
}
