import { describe, expect, it } from 'vitest';
import { defineChannels } from '../../src/index.js';
import { createRealtimeHandlers } from '../../src/next/index.js';
import { createMemoryHistoryStore, createRealtime, withHistory } from '../../src/server/index.js';

/** GET /api/realtime/history: the policy that guards subscribing guards reading. */
type User = { id: string };
const realtime = withHistory(createRealtime({ provider: 'memory', hub: `history-endpoint-${process.pid}` }), {
  channels: { 'news.{id}': true, 'members.{id}': true, 'private-team.{id}': true },
  store: createMemoryHistoryStore(),
});
const { GET } = createRealtimeHandlers<User>({
  realtime,
  channels: defineChannels({
    'private-team.{id}': (user: User, { id }) => user.id === `member-of-${id}`,
    // A public channel the policy names: only signed-in users may have it.
    'members.{id}': (user: User) => Boolean(user),
  }),
  getUser: (request) => {
    const id = request.headers.get('x-user');
    return id ? { id } : null;
  },
});
const read = async (query: string, user?: string) => {
  const response = await GET(new Request(`http://app.test/api/realtime/history?${query}`, { headers: user ? { 'x-user': user } : {} }), {
    params: { path: ['history'] },
  });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
};

describe('GET /api/realtime/history', () => {
  it('answers what the store holds after the cursor', async () => {
    for (const n of [1, 2, 3]) await realtime.publish('private-team.a', 'n', n);
    const { status, body } = await read('channel=private-team.a&after=1', 'member-of-a');
    expect(status).toBe(200);
    expect(body).toMatchObject({ history: true, cursor: '3', more: false });
    expect(body.events.map((event: { data: unknown }) => event.data)).toEqual([2, 3]);
  });

  it('refuses whoever may not subscribe: 403 for a user the policy refuses, 401 without a user', async () => {
    await realtime.publish('private-team.b', 'n', 'secret');
    expect(await read('channel=private-team.b&after=0', 'member-of-a')).toMatchObject({ status: 403, body: { error: { code: 'forbidden' } } });
    expect(await read('channel=private-team.b&after=0')).toMatchObject({ status: 401, body: { error: { code: 'unauthorized' } } });
    expect(await read('channel=members.x&after=0')).toMatchObject({ status: 401 });
    expect((await read('channel=members.x&after=0', 'anyone')).status).toBe(200);
  });

  it('a public channel no pattern names is open, like subscribing to it', async () => {
    await realtime.publish('news.1', 'n', 'hello');
    const { status, body } = await read('channel=news.1&limit=10');
    expect(status).toBe(200);
    expect(body.events.map((event: { data: unknown }) => event.data)).toEqual(['hello']);
  });

  it('a plain channel answers history: false (nothing is stored for it)', async () => {
    expect(await read('channel=plain.1&limit=0')).toEqual({ status: 200, body: { history: false, events: [], cursor: '0', more: false } });
  });

  it('bad input is a 400 with a stable code, never a 500', async () => {
    expect(await read('channel=news.1&after=-3')).toMatchObject({ status: 400, body: { error: { code: 'invalid_payload' } } });
    expect(await read('channel=news.1&limit=5000')).toMatchObject({ status: 400, body: { error: { code: 'invalid_payload' } } });
    expect(await read('channel=news.1&limit=abc')).toMatchObject({ status: 400, body: { error: { code: 'invalid_payload' } } });
    expect(await read('channel=bad%20name')).toMatchObject({ status: 400, body: { error: { code: 'invalid_channel' } } });
    expect(await read('')).toMatchObject({ status: 400, body: { error: { code: 'invalid_channel' } } });
    expect(await read('channel=news.1&socket_id=%3Cscript%3E')).toMatchObject({ status: 400, body: { error: { code: 'invalid_socket_id' } } });
  });
});
