import { describe, expect, expectTypeOf, it } from 'vitest';
import { defineChannels, isRealtimeError, type ChannelPatternParams } from '../../src/index.js';
import { createRealtimeHandlers } from '../../src/next/index.js';
import { createRealtime } from '../../src/server/index.js';

interface User {
  id: string;
  admin: boolean;
}
const alice: User = { id: 'u1', admin: false };
const admin: User = { id: 'u9', admin: true };

describe('defineChannels', () => {
  const seen: unknown[] = [];
  const policy = defineChannels({
    'private-orders.{orderId}': (user: User, { orderId }) => {
      seen.push(orderId);
      return user.admin || orderId === '42';
    },
    'private-orders.{orderId}.lines.{lineId}': async (user: User, { orderId, lineId }) => user.admin && orderId !== lineId,
    'presence-room.{roomId}': (user: User, { roomId }) => roomId === '1' && { id: user.id, info: { admin: user.admin } },
    'presence-lobby': () => true,
    'presence-numeric.{n}': () => ({ id: 7 as unknown as string }),
    'news.{topic}': (user: User, { topic }) => topic !== 'secret' || user.admin,
  });

  it('params are extracted per placeholder; a placeholder matches one segment (no dots)', async () => {
    expect(await policy.authorize(alice, 'private-orders.42')).toEqual({ allowed: true, kind: 'private', pattern: 'private-orders.{orderId}' });
    expect(await policy.authorize(alice, 'private-orders.43')).toEqual({ allowed: false, reason: 'refused' });
    expect(await policy.authorize(admin, 'private-orders.7.lines.8')).toMatchObject({ allowed: true, pattern: 'private-orders.{orderId}.lines.{lineId}' });
    expect(await policy.authorize(admin, 'private-orders.7.lines.7')).toEqual({ allowed: false, reason: 'refused' });
    expect(seen).toEqual(['42', '43']);
  });

  it('default deny: private/presence channels that no pattern matches are refused; public ones are allowed', async () => {
    expect(await policy.authorize(admin, 'private-invoices.1')).toEqual({ allowed: false, reason: 'no_matching_pattern' });
    expect(await policy.authorize(admin, 'private-orders')).toEqual({ allowed: false, reason: 'no_matching_pattern' });
    expect(await policy.authorize(admin, 'private-orders.42.extra')).toEqual({ allowed: false, reason: 'no_matching_pattern' });
    expect(await policy.authorize(admin, 'presence-room')).toEqual({ allowed: false, reason: 'no_matching_pattern' });
    expect(await policy.authorize(alice, 'public-updates')).toEqual({ allowed: true, kind: 'public', pattern: undefined });
    // A public pattern, when written, decides (token providers enforce it).
    expect(await policy.authorize(alice, 'news.secret')).toEqual({ allowed: false, reason: 'refused' });
    expect(await policy.authorize(admin, 'news.secret')).toMatchObject({ allowed: true });
  });

  it('presence: the member comes from the callback; true means { id: user.id }; numeric ids become strings', async () => {
    expect(await policy.authorize(alice, 'presence-room.1')).toEqual({
      allowed: true,
      kind: 'presence',
      pattern: 'presence-room.{roomId}',
      member: { id: 'u1', info: { admin: false } },
    });
    expect(await policy.authorize(alice, 'presence-room.2')).toEqual({ allowed: false, reason: 'refused' });
    expect(await policy.authorize(alice, 'presence-lobby')).toMatchObject({ member: { id: 'u1' } });
    expect(await policy.authorize(alice, 'presence-numeric.1')).toMatchObject({ member: { id: '7' } });
  });

  it('a pattern matches only channels of its own kind: no placeholder absorbs a kind prefix', async () => {
    const wide = defineChannels({
      'private-{room}': () => true,
      'presence-{room}': () => true,
      '{topic}': () => false,
    });
    expect(await wide.authorize(alice, 'private-general')).toMatchObject({ allowed: true, kind: 'private' });
    // `encrypted-` would be absorbed by {room} if only the regex decided.
    expect(await wide.authorize(alice, 'private-encrypted-general')).toEqual({ allowed: false, reason: 'no_matching_pattern' });
    // A public pattern's placeholder does not stand for `private-` or `presence-` either.
    expect(await wide.authorize(alice, 'presence-lobby')).toMatchObject({ allowed: true, kind: 'presence' });
    expect(await wide.authorize(alice, 'news')).toEqual({ allowed: false, reason: 'refused' });
    const anyRoom = defineChannels({ 'private-{room:any}': () => true });
    expect(await anyRoom.authorize(alice, 'private-encrypted-general')).toEqual({ allowed: false, reason: 'no_matching_pattern' });
    expect(await anyRoom.authorize(alice, 'private-a.b,c;d')).toMatchObject({ allowed: true });
  });

  it('by default a placeholder matches one segment without . , ; ; {x:int} and {x:any} are explicit', async () => {
    const params: Array<Record<string, string>> = [];
    const typed = defineChannels({
      'private-orders.{orderId}': (_user: User, p) => (params.push(p), true),
      'private-invoices.{invoiceId:int}': (_user: User, p) => (params.push(p), true),
      'private-files.{path:any}': (_user: User, p) => (params.push(p), true),
    });
    for (const channel of ['private-orders.42,43', 'private-orders.42;43', 'private-orders.42.43', 'private-invoices.4a', 'private-invoices.-1', 'private-invoices.1,2']) {
      expect(await typed.authorize(alice, channel), channel).toEqual({ allowed: false, reason: 'no_matching_pattern' });
    }
    expect(await typed.authorize(alice, 'private-orders.a-b_c=d@e')).toMatchObject({ allowed: true });
    expect(await typed.authorize(alice, 'private-invoices.0042')).toMatchObject({ allowed: true });
    expect(await typed.authorize(alice, 'private-files.a.b,c;d')).toMatchObject({ allowed: true });
    expect(params).toEqual([{ orderId: 'a-b_c=d@e' }, { invoiceId: '0042' }, { path: 'a.b,c;d' }]);
    expectTypeOf<ChannelPatternParams<'private-invoices.{invoiceId:int}.{rest:any}'>>().toEqualTypeOf<{ invoiceId: string; rest: string }>();
  });

  it('regex characters in patterns are literal', async () => {
    const dots = defineChannels({ 'private-a.b': () => true });
    expect(await dots.authorize(alice, 'private-a.b')).toMatchObject({ allowed: true });
    expect(await dots.authorize(alice, 'private-aXb')).toEqual({ allowed: false, reason: 'no_matching_pattern' });
  });

  it('malformed patterns and callbacks are configuration errors at definition time', () => {
    for (const definitions of [
      { 'private-a b.{id}': () => true },
      { 'private-{id}.{id}': () => true },
      { 'private-x': 'yes' },
      { '': () => true },
      { 'private-{a}{b}': () => true },
      { 'private-{a:float}': () => true },
      { 'private-{a:constructor}': () => true },
    ]) {
      let caught: unknown;
      try {
        defineChannels(definitions as never);
      } catch (error) {
        caught = error;
      }
      expect(isRealtimeError(caught, 'invalid_config'), JSON.stringify(Object.keys(definitions))).toBe(true);
    }
  });

  it('types: params are inferred from the pattern; presence may return a member, others a boolean', () => {
    expectTypeOf<ChannelPatternParams<'private-orders.{orderId}.lines.{lineId}'>>().toEqualTypeOf<{ orderId: string; lineId: string }>();
    expectTypeOf<ChannelPatternParams<'private-plain'>>().toEqualTypeOf<{}>();
    defineChannels({
      // @ts-expect-error `nope` is not a parameter of this pattern
      'private-a.{id}': (_user: User, { nope }) => nope === '1',
    });
    defineChannels({
      // @ts-expect-error a private channel callback cannot return member data
      'private-b.{id}': (user: User) => ({ id: user.id }),
    });
    const typed = defineChannels({ 'private-c.{id}': (user: User, { id }) => user.id === id });
    expectTypeOf(typed.authorize).parameter(0).toEqualTypeOf<User>();
  });

  it('types: createRealtimeHandlers requires userFromToken when the user has more than an id', () => {
    const realtime = createRealtime({ provider: 'memory' });
    const channels = defineChannels({ 'private-c.{id}': (user: User, { id }) => user.id === id });
    // @ts-expect-error policies would see a token user without `admin`
    createRealtimeHandlers({ realtime, channels, getUser: (): User | null => null, tokenSecrets: 'k:s' });
    createRealtimeHandlers({ realtime, channels, getUser: (): User | null => null, tokenSecrets: 'k:s', userFromToken: () => null });
    const idOnly = defineChannels({ 'private-c.{id}': (user: { id: string }, { id }) => user.id === id });
    createRealtimeHandlers({ realtime, channels: idOnly, getUser: () => ({ id: 'u1' }), tokenSecrets: 'k:s' });
    void realtime.close();
  });
});
