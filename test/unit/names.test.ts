import { describe, expect, it } from 'vitest';
import { channelKind, channelNameProblem, eventNameProblem } from '../../src/index.js';

describe('channel model', () => {
  it.each([
    ['orders.42', 'public'],
    ['private-orders.42', 'private'],
    ['presence-room.1', 'presence'],
    ['private-encrypted-inbox.7', 'private-encrypted'],
  ] as const)('%s is %s', (name, kind) => {
    expect(channelKind(name)).toBe(kind);
    expect(channelNameProblem(name)).toBeUndefined();
  });

  it.each([
    ['bad channel!', /may only contain/],
    ['', /empty/],
    ['c'.repeat(165), /165 characters; the limit is 164/],
    ['private-', /only a prefix/],
    ['orders/42', /may only contain/],
    ['ümlaut', /may only contain/],
  ])('refuses %j', (name, reason) => {
    expect(channelNameProblem(name)).toMatch(reason);
  });

  it('accepts the whole shared charset and exactly 164 characters', () => {
    expect(channelNameProblem('aZ09_-=@,.;')).toBeUndefined();
    expect(channelNameProblem('c'.repeat(164))).toBeUndefined();
  });
});

describe('event names', () => {
  it.each(['order.created', 'client-typing', 'App\\Events\\Thing', 'a'.repeat(200)])('accepts %j', (name) => {
    expect(eventNameProblem(name)).toBeUndefined();
  });
  it.each([
    ['', /empty/],
    ['has space', /printable ASCII/],
    ['pusher:subscribe', /reserved/],
    ['pusher_internal:member_added', /reserved/],
    ['realtime:reauth_required', /reserved/],
    ['a'.repeat(201), /limit is 200/],
  ])('refuses %j', (name, reason) => {
    expect(eventNameProblem(name)).toMatch(reason);
  });
});
