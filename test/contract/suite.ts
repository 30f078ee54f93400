import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRealtimeError, type RealtimeErrorCode } from '../../src/index.js';
import { collect, eventually, waitForState } from '../support/events.js';
import type { ContractEnvironment, ContractFixture } from './fixtures.js';

/**
 * The provider contract: what an application may rely on whichever REALTIME_PROVIDER it runs.
 * contract.test.ts runs it against every provider in CONTRACT_FIXTURES; test/live runs it against
 * real cloud services when their credentials are set.
 */
let channelCounter = 0;
const unique = (prefix: string) => `${prefix}contract.${process.pid}.${++channelCounter}`;

async function expectRejection(promise: Promise<unknown>, code: RealtimeErrorCode) {
  const error = await promise.then(
    () => undefined,
    (failure: unknown) => failure,
  );
  expect(error, `expected a RealtimeError with code ${code}`).toSatisfy((value: unknown) => isRealtimeError(value));
  expect((error as { code: string }).code).toBe(code);
  return error as Error;
}

export function defineContractSuite(fixture: ContractFixture): void {
  let env: ContractEnvironment;

  beforeAll(async () => {
    env = await fixture.setup();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it('delivers a publish on a public channel to a subscriber', async () => {
    const client = env.createClient();
    const channel = unique('');
    const inbox = collect(client, channel, 'greeting');
    await client.whenSubscribed(channel);
    await env.realtime.publish(channel, 'greeting', { text: 'hello', n: 1 });
    expect(await inbox.waitFor(1)).toEqual([{ text: 'hello', n: 1 }]);
  });

  it('round-trips strings, numbers and null exactly (no reinterpretation of "123")', async () => {
    const client = env.createClient();
    const channel = unique('');
    const inbox = collect(client, channel, 'value');
    await client.whenSubscribed(channel);
    for (const value of ['123', 'plain text', 42, null, true, ['a', 1], { nested: { deep: 'é✓' } }]) {
      await env.realtime.publish(channel, 'value', value);
    }
    expect(await inbox.waitFor(7)).toEqual(['123', 'plain text', 42, null, true, ['a', 1], { nested: { deep: 'é✓' } }]);
  });

  it('delivers on a private channel once the server signed the subscription', async () => {
    const client = env.createClient();
    const channel = unique('private-');
    const inbox = collect(client, channel, 'secret');
    await client.whenSubscribed(channel);
    await env.realtime.publish(channel, 'secret', { ok: true });
    expect(await inbox.waitFor(1)).toEqual([{ ok: true }]);
  });

  it('refuses a private subscription whose signature is wrong', async () => {
    const honest = env.createClient();
    await honest.connect();
    // A client whose "server" signs with the wrong secret: the provider must refuse it.
    const forged = env.createForgedClient();
    const channel = unique('private-');
    forged.subscribe(channel, 'anything', () => {});
    await expect(forged.whenSubscribed(channel)).rejects.toThrow();
    expect(honest.state).toBe('connected');
    forged.disconnect();
  });

  it('publishes one event to several channels at once', async () => {
    const client = env.createClient();
    const channels = [unique(''), unique('private-'), unique('')];
    const inboxes = channels.map((channel) => collect(client, channel, 'fanout'));
    await Promise.all(channels.map((channel) => client.whenSubscribed(channel)));
    await env.realtime.publish(channels, 'fanout', { to: 'all' });
    for (const inbox of inboxes) expect(await inbox.waitFor(1)).toEqual([{ to: 'all' }]);
  });

  it('publishes a batch: every event arrives, in order', async () => {
    const client = env.createClient();
    const [a, b] = [unique(''), unique('')];
    const inboxA = collect<number>(client, a, 'n');
    const inboxB = collect<number>(client, b, 'n');
    await Promise.all([client.whenSubscribed(a), client.whenSubscribed(b)]);
    await env.realtime.publishBatch(
      Array.from({ length: 10 }, (_, i) => ({ channel: i % 2 === 0 ? a : b, event: 'n', data: i })),
    );
    expect(await inboxA.waitFor(5)).toEqual([0, 2, 4, 6, 8]);
    expect(await inboxB.waitFor(5)).toEqual([1, 3, 5, 7, 9]);
  });

  it('excludes the sender when its socket id is given', async () => {
    const sender = env.createClient();
    const other = env.createClient();
    const channel = unique('private-');
    const senderInbox = collect(sender, channel, 'msg');
    const otherInbox = collect(other, channel, 'msg');
    await Promise.all([sender.whenSubscribed(channel), other.whenSubscribed(channel)]);
    expect(sender.socketId).toBeTruthy();
    await env.realtime.publish(channel, 'msg', 'first', { socketId: sender.socketId });
    await env.realtime.publish(channel, 'msg', 'second');
    expect(await otherInbox.waitFor(2)).toEqual(['first', 'second']);
    // Events on one connection arrive in order: once 'second' is here, 'first' never will be.
    expect(await senderInbox.waitFor(1)).toEqual(['second']);
  });

  it('stops delivering to a handler once it unsubscribed, and keeps the channel for other handlers', async () => {
    const client = env.createClient();
    const channel = unique('');
    const kept = collect(client, channel, 'e');
    const dropped = collect(client, channel, 'e');
    await client.whenSubscribed(channel);
    dropped.unsubscribe();
    await env.realtime.publish(channel, 'e', 1);
    expect(await kept.waitFor(1)).toEqual([1]);
    expect(dropped.received).toEqual([]);
  });

  it('leaves the channel when its last handler unsubscribes', async () => {
    const client = env.createClient();
    const left = unique('');
    const marker = unique('');
    const leftInbox = collect(client, left, 'e');
    const markerInbox = collect(client, marker, 'e');
    await Promise.all([client.whenSubscribed(left), client.whenSubscribed(marker)]);
    leftInbox.unsubscribe();
    // Give the unsubscribe frame time to reach the server before publishing.
    await new Promise((resolve) => setTimeout(resolve, 200));
    await env.realtime.publish(left, 'e', 'must not arrive');
    await env.realtime.publish(marker, 'e', 'marker');
    await markerInbox.waitFor(1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(leftInbox.received).toEqual([]);
  });

  it('shows presence members and announces arrivals', async () => {
    const alice = env.createClient({ id: 'alice', info: { name: 'Alice' } });
    const bob = env.createClient({ id: 'bob', info: { name: 'Bob' } });
    const channel = unique('presence-');
    alice.subscribe(channel, 'noop', () => {});
    await alice.whenSubscribed(channel);
    bob.subscribe(channel, 'noop', () => {});
    await bob.whenSubscribed(channel);
    await eventually(() => {
      expect(alice.members(channel).map((member) => member.id).sort()).toEqual(['alice', 'bob']);
      expect(bob.members(channel).find((member) => member.id === 'alice')?.info).toEqual({ name: 'Alice' });
    });
  });

  it('sends client events to the other subscribers, not back to the sender', async () => {
    if (!fixture.clientEvents) return;
    const alice = env.createClient({ id: 'alice-w' });
    const bob = env.createClient({ id: 'bob-w' });
    const channel = unique('private-');
    const aliceInbox = collect(alice, channel, 'client-typing');
    const bobInbox = collect(bob, channel, 'client-typing');
    await Promise.all([alice.whenSubscribed(channel), bob.whenSubscribed(channel)]);
    alice.whisper(channel, 'typing', { typing: true });
    expect(await bobInbox.waitFor(1)).toEqual([{ typing: true }]);
    bob.whisper(channel, 'client-typing', { typing: false });
    expect(await aliceInbox.waitFor(1)).toEqual([{ typing: false }]);
    expect(bobInbox.received).toHaveLength(1);
  });

  it('terminateUser closes every connection of that user and no one else', async () => {
    const user = { id: `leaver-${channelCounter++}` };
    const tab1 = env.createClient(user);
    const tab2 = env.createClient(user);
    const bystander = env.createClient();
    await Promise.all([tab1.connect(), tab2.connect(), bystander.connect()]);
    // Sign-in completes shortly after connecting on the Pusher protocol.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const closed = [tab1, tab2].map((tab) => waitForState(tab, 'disconnected', 5000));
    await env.realtime.terminateUser(user.id);
    await Promise.all(closed);
    expect(bystander.state).toBe('connected');
  });

  describe('bad input is rejected with its code and nothing is sent', () => {
    it.each([
      ['a channel name with a space and !', () => env.realtime.publish('bad channel!', 'e', 1), 'invalid_channel'],
      ['an empty channel list', () => env.realtime.publish([], 'e', 1), 'invalid_channel'],
      ['101 channels', () => env.realtime.publish(Array.from({ length: 101 }, (_, i) => `c${i}`), 'e', 1), 'too_many_channels'],
      ['a 165-character channel name', () => env.realtime.publish('c'.repeat(165), 'e', 1), 'invalid_channel'],
      ['an event name with a space', () => env.realtime.publish('ok', 'bad event', 1), 'invalid_event'],
      ['a reserved pusher: event name', () => env.realtime.publish('ok', 'pusher:subscribe', 1), 'invalid_event'],
      ['undefined data', () => env.realtime.publish('ok', 'e', undefined), 'invalid_payload'],
      ['a malformed socket id', () => env.realtime.publish('ok', 'e', 1, { socketId: 'not a socket' }), 'invalid_socket_id'],
      // 11 on Pusher, Soketi and memory; each provider's own limit + 1 elsewhere.
      ['one event more than the batch limit', () => env.realtime.publishBatch(Array.from({ length: env.realtime.limits.maxBatchSize + 1 }, (_, i) => ({ channel: 'ok', event: 'e', data: i }))), 'batch_too_large'],
    ] as const)('%s', async (_label, attempt, code) => {
      await expectRejection(attempt(), code);
    });

    it('an event larger than the provider accepts is refused before sending, and the channel sees nothing', async () => {
      const client = env.createClient();
      const channel = unique('');
      const inbox = collect(client, channel, 'e');
      await client.whenSubscribed(channel);
      const tooBig = 'x'.repeat(env.realtime.limits.maxPayloadBytes + 1);
      const error = await expectRejection(env.realtime.publish(channel, 'e', tooBig), 'payload_too_large');
      expect(error.message).toMatch(/bytes/);
      await expectRejection(
        env.realtime.publishBatch([
          { channel, event: 'e', data: 'fine' },
          { channel, event: 'e', data: tooBig },
        ]),
        'payload_too_large',
      );
      await env.realtime.publish(channel, 'e', 'marker');
      expect(await inbox.waitFor(1)).toEqual(['marker']);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(inbox.received).toEqual(['marker']);
    });
  });
}
