import { afterAll, describe, expect, it } from 'vitest';
import { call, createApp, CREDENTIALS } from './appFixture.js';

/**
 * A few hundred malformed requests per endpoint, from a seeded generator (the seed is printed
 * on failure so a case can be replayed). Each must be answered with 4xx and a JSON error:
 * never a 500, never a signature or a token.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20261127);
const PER_ENDPOINT = 300;

function rng(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!,
    chance: (p: number) => next() < p,
    bytes: (length: number) => Uint8Array.from({ length }, () => Math.floor(next() * 256)),
    text: (length: number) => String.fromCharCode(...Array.from({ length }, () => Math.floor(next() * 0x2fff))),
  };
}

const BAD_SOCKET_IDS = ['', '1', '1.', '.1', 'a.b', '1.2.3', '1.2 ', ' 1.2', '1.2\n', '１.２', `${'1'.repeat(80)}.1`, '-1.2', '1.2:private-x', '1e3.2', '1.2\u0000', '0x1.2', '[object Object]'];
const GOOD_SOCKET_IDS = ['1.2', '123.456', '99999.1'];
const BAD_CHANNELS = [
  '', 'private-', 'presence-', 'private-encrypted-', '#private-x', 'private-a b', 'private-ä', `private-${'x'.repeat(170)}`,
  'private-orders.42\n', 'orders.42', 'news', 'private-orders.99', 'presence-room.2', '__proto__', 'private-__proto__',
  'private-orders.{orderId}', 'presence-room.', 'private-orders..42', 'private-encrypted-inbox.u2', 'private-orders.42/../x', 'constructor',
];
const ALLOWED_FOR_ALICE = ['private-orders.42', 'presence-room.1', 'private-encrypted-inbox.u1'];
const CONTENT_TYPES = [
  'application/x-www-form-urlencoded', 'application/json', 'application/json; charset=utf-8', 'text/plain', 'multipart/form-data; boundary=x',
  '', 'application/xml', 'APPLICATION/JSON', 'application/x-www-form-urlencoded;charset=UTF-8', 'application/jsonx', undefined,
];
const COOKIES = [undefined, 'session=alice', 'session=bob', 'session=mallory', 'session=', 'session=alice; session=bob', '%%%', 'session=alice\u00ff'];
const AUTHORIZATIONS = [undefined, 'Bearer', 'Bearer ', 'Bearer a.b.c', 'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1MSJ9.', 'Basic YTpi', 'bearer x y', `Bearer ${'a'.repeat(5000)}`];

type Case = { method: string; headers: Record<string, string>; body?: BodyInit | null; query?: string };

function headersWith(random: ReturnType<typeof rng>, contentType: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  if (contentType !== undefined) headers['content-type'] = contentType;
  const cookie = random.pick(COOKIES);
  if (cookie !== undefined) headers.cookie = cookie.replace(/[^\x20-\x7e]/g, '?');
  const authorization = random.pick(AUTHORIZATIONS);
  if (authorization !== undefined && !headers.cookie) headers.authorization = authorization;
  return headers;
}

function randomBody(random: ReturnType<typeof rng>, fields: Record<string, unknown>, contentType: string | undefined): BodyInit | null {
  switch (Math.floor(random.next() * 8)) {
    case 0:
      return null;
    case 1:
      return random.bytes(Math.floor(random.next() * 64));
    case 2:
      return random.text(Math.floor(random.next() * 40));
    case 3:
      return 'x'.repeat(8 * 1024 + 1 + Math.floor(random.next() * 4096));
    case 4:
      return JSON.stringify(random.pick([[], 1, null, 'str', { socket_id: 5 }, { channel_name: ['a'] }, fields]));
    default:
      if (contentType?.toLowerCase().includes('json')) return JSON.stringify(fields);
      return new URLSearchParams(Object.entries(fields).map(([k, v]) => [k, String(v)])).toString();
  }
}

/** True when the case could legitimately succeed; such cases are mutated to be malformed. */
const ALLOWED: Record<string, string[]> = { alice: ALLOWED_FOR_ALICE, bob: ['private-encrypted-inbox.u2'] };

function mightSucceedAuth(c: Case, fields: Record<string, string>): boolean {
  // The same cookie reading as the fixture's getUser.
  const session = /(?:^|;\s*)session=([^;]+)/.exec(c.headers.cookie ?? '')?.[1] ?? '';
  const type = (c.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  return (
    c.method === 'POST' &&
    (type === 'application/x-www-form-urlencoded' || type === 'application/json') &&
    GOOD_SOCKET_IDS.includes(fields.socket_id!) &&
    (session === 'alice' || session === 'bob') &&
    (fields.channel_name === undefined || ALLOWED[session]!.includes(fields.channel_name))
  );
}

function authCase(random: ReturnType<typeof rng>, withChannel: boolean): Case {
  const method = random.chance(0.9) ? 'POST' : random.pick(['GET', 'PUT', 'DELETE', 'PATCH']);
  const contentType = random.pick(CONTENT_TYPES);
  const fields: Record<string, string> = {};
  if (random.chance(0.9)) fields.socket_id = random.chance(0.5) ? random.pick(BAD_SOCKET_IDS) : random.pick(GOOD_SOCKET_IDS);
  if (withChannel && random.chance(0.9)) fields.channel_name = random.chance(0.6) ? random.pick(BAD_CHANNELS) : random.pick(ALLOWED_FOR_ALICE);
  if (random.chance(0.1)) fields.extra = random.text(10);
  const c: Case = { method, headers: headersWith(random, contentType) };
  if (mightSucceedAuth(c, fields)) fields.socket_id = random.pick(BAD_SOCKET_IDS);
  c.body = method === 'GET' ? undefined : randomBody(random, fields, contentType);
  return c;
}

function tokenCase(random: ReturnType<typeof rng>): Case {
  const method = random.chance(0.9) ? 'GET' : random.pick(['POST', 'PUT']);
  const query = new URLSearchParams();
  const channelCount = random.chance(0.1) ? 101 + Math.floor(random.next() * 20) : Math.floor(random.next() * 4);
  for (let i = 0; i < channelCount; i++) query.append('channel', random.chance(0.5) ? random.pick(BAD_CHANNELS) : `c${i}`);
  if (random.chance(0.4)) query.set('socket_id', random.chance(0.7) ? random.pick(BAD_SOCKET_IDS) : '1.2');
  const headers = headersWith(random, undefined);
  const valid =
    method === 'GET' &&
    (headers.cookie === 'session=alice' || headers.cookie === 'session=bob' || headers.cookie === 'session=alice; session=bob') &&
    channelCount <= 100 &&
    query.getAll('channel').every((channel) => /^[A-Za-z0-9_\-=@,.;]+$/.test(channel) && !['private-', 'presence-', 'private-encrypted-'].includes(channel) && channel.length <= 164) &&
    (!query.has('socket_id') || query.get('socket_id') === '' || /^[A-Za-z0-9!$@_.:\-]{1,128}$/.test(query.get('socket_id')!));
  // A valid request loses its session, which must make it a 401.
  if (valid) delete headers.cookie;
  return { method, headers, query: query.toString(), body: method === 'GET' ? undefined : random.text(20) };
}

function webhookCase(random: ReturnType<typeof rng>): Case {
  const contentType = random.pick(CONTENT_TYPES);
  const headers: Record<string, string> = contentType === undefined ? {} : { 'content-type': contentType };
  if (random.chance(0.8)) headers['x-pusher-key'] = random.pick([CREDENTIALS.key, 'other', '', 'app-key ']);
  if (random.chance(0.8)) headers['x-pusher-signature'] = random.pick(['', 'zz', '0'.repeat(64), 'f'.repeat(64), random.text(8).replace(/[^\x20-\x7e]/g, 'a')]);
  if (random.chance(0.2)) headers['x-ably-signature'] = 'abc=';
  const body = random.chance(0.5) ? JSON.stringify({ time_ms: 1, events: [{ name: 'client_event', channel: 'private-x', event: 'client-x', data: '{}' }] }) : randomBody(random, {}, contentType);
  return { method: random.chance(0.9) ? 'POST' : 'GET', headers, body };
}

describe(`fuzz (seed ${SEED}): malformed requests are 4xx JSON errors, never 500, never a signature`, () => {
  const app = createApp({ tokenRateLimit: false, webhook: { onEvents: () => { throw new Error('must not be reached'); } } });
  afterAll(() => app.realtime.close());

  const endpoints: Array<[string, (random: ReturnType<typeof rng>) => Case]> = [
    ['auth', (random) => authCase(random, true)],
    ['user-auth', (random) => authCase(random, false)],
    ['token', tokenCase],
    ['webhook', webhookCase],
  ];

  for (const [endpoint, generate] of endpoints) {
    it(`${PER_ENDPOINT} malformed requests to /${endpoint}`, async () => {
      const random = rng(SEED + endpoint.length);
      const statuses = new Map<number, number>();
      for (let i = 0; i < PER_ENDPOINT; i++) {
        const c = generate(random);
        const result = await call(app, endpoint, c);
        const context = `case ${i} (seed ${SEED}): ${JSON.stringify({ ...c, body: typeof c.body === 'string' ? c.body.slice(0, 200) : String(c.body) })}`;
        expect(result.status, context).toBeGreaterThanOrEqual(400);
        expect(result.status, context).toBeLessThan(500);
        expect(result.json, context).toEqual({ error: { code: expect.any(String), message: expect.any(String) } });
        expect(result.text, context).not.toMatch(/"auth"|"token"|"channel_data"|"shared_secret"/);
        statuses.set(result.status, (statuses.get(result.status) ?? 0) + 1);
      }
      // The generator reaches several distinct refusals, not one early exit.
      expect(statuses.size, JSON.stringify([...statuses])).toBeGreaterThanOrEqual(endpoint === 'token' ? 3 : 4);
    });
  }

  it('200 unknown or odd paths are 404, wrong methods 405', async () => {
    const random = rng(SEED);
    for (let i = 0; i < 200; i++) {
      const path = random.pick(['', 'Auth', 'auth/x', 'tokens', '..', 'webhook/../auth', random.text(6).replace(/[^a-z]/g, 'q'), 'hasOwnProperty', 'toString']);
      const result = await call(app, path, { method: random.pick(['GET', 'POST', 'PUT']) });
      expect([404, 405], path).toContain(result.status);
      expect(result.json.error.code).toMatch(/^(not_found|method_not_allowed)$/);
    }
    expect(app.logged).toEqual([]);
  });
});
