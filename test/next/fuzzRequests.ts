import fc from 'fast-check';
import { REALTIME_ENDPOINTS } from '../../src/next/fetchHandler.js';
import { ABLY_KEY, makeJwt, PUSHER_APP, TOKEN_KEYS, WEBHOOK_SECRET, signWebhook } from './fuzzOracle.js';

/**
 * Hostile requests for the route handlers, as fast-check arbitraries. A request is generated as a
 * plain, printable description (shrinkable, shown in a counterexample) and turned into a real
 * `Request` only when it is sent, so timestamps and webhook signatures are computed at that moment.
 */

export type Scheme = 'pusher' | 'ably';

export interface AuthSpec {
  endpoint: 'auth' | 'user-auth';
  method: string;
  contentType: string | undefined;
  cookie: string | undefined;
  authorization: string | undefined;
  fields: { socket_id?: string; channel_name?: string; extra?: string };
  encoding: 'form' | 'json' | 'duplicate' | 'json-non-string' | 'json-array' | 'garbage' | 'bytes' | 'oversized' | 'none';
  garbage: string;
}

export interface TokenSpec {
  endpoint: 'token';
  method: string;
  cookie: string | undefined;
  authorization: string | undefined;
  channels: string[];
  socketId: string | undefined;
  /** The `anonymous` query parameter (`1`: an anonymous token is welcome without a session). */
  anonymous: string | undefined;
  /** The `sign_in` query parameter (`1` with `socket_id`: the socket's pusher:signin comes along). */
  signIn: string | undefined;
}

export interface HistorySpec {
  endpoint: 'history';
  method: string;
  cookie: string | undefined;
  authorization: string | undefined;
  /** undefined: no `channel` parameter at all. */
  channel: string | undefined;
  after: string | undefined;
  limit: string | undefined;
  socketIds: string[];
}

export interface WebhookSpec {
  endpoint: 'webhook';
  method: string;
  contentType: string | undefined;
  scheme: Scheme | 'other';
  key: 'right' | 'wrong' | 'missing';
  signature: 'valid' | 'valid-uppercase' | 'wrong-secret' | 'missing' | 'garbage' | 'other-body';
  /** Milliseconds added to the send time for the provider's timestamp; null: no timestamp. */
  timeOffsetMs: number | null;
  shape: 'events' | 'garbage-json' | 'not-json' | 'wrong-scheme-shape';
  events: Array<{ name: string; channel: string; user?: string }>;
}

export interface OtherSpec {
  endpoint: 'other';
  path: string;
  method: string;
}

export type RequestSpec = AuthSpec | TokenSpec | HistorySpec | WebhookSpec | OtherSpec;

const NOW_S = Math.floor(Date.now() / 1000);
const claims = (overrides: Record<string, unknown> = {}) => ({ scope: 'realtime', sub: 'u1', iat: NOW_S, exp: NOW_S + 3600, jti: 'fuzz', ...overrides });
const header = (kid: string, alg = 'HS256') => ({ alg, typ: 'JWT', kid });

/** Bearer tokens: two the library must accept, and the ways a token can be wrong. */
export const BEARER_TOKENS = {
  alice: makeJwt(header('k2'), claims(), TOKEN_KEYS.k2),
  bobOldKey: makeJwt(header('k1'), claims({ sub: 'u2' }), TOKEN_KEYS.k1),
  expired: makeJwt(header('k2'), claims({ exp: NOW_S - 10, iat: NOW_S - 100 }), TOKEN_KEYS.k2),
  forged: makeJwt(header('k2'), claims(), 'guessed-secret'),
  unknownKid: makeJwt(header('k9'), claims(), TOKEN_KEYS.k2),
  kidOfOtherKey: makeJwt(header('k1'), claims(), TOKEN_KEYS.k2),
  wrongScope: makeJwt(header('k2'), claims({ scope: 'admin' }), TOKEN_KEYS.k2),
  noJti: makeJwt(header('k2'), claims({ jti: undefined }), TOKEN_KEYS.k2),
  unknownUser: makeJwt(header('k2'), claims({ sub: 'u404' }), TOKEN_KEYS.k2),
  ablyToken: makeJwt(header(ABLY_KEY.name), claims(), ABLY_KEY.secret),
  algNone: `${Buffer.from(JSON.stringify(header('k2', 'none'))).toString('base64url')}.${Buffer.from(JSON.stringify(claims())).toString('base64url')}.`,
};

/** Header values a Request accepts (printable Latin-1, no CR/LF). */
const headerSafe = (text: string) => text.replace(/[^\x20-\x7e]/g, '?');

const INTERESTING_CHANNELS = [
  'private-orders.42', 'private-orders.7', 'private-orders.43', 'private-orders.42,43', 'private-orders.42;43', 'private-orders.42.43',
  'private-orders.0042', 'private-orders.-1', 'private-orders.4a', 'private-orders', 'private-general', 'private-encrypted-general',
  'private-encrypted-inbox.u1', 'private-encrypted-inbox.u2', 'private-encrypted-inbox.u1,u2', 'private-encrypted-inbox.u1.x', 'presence-room.1',
  'presence-room.2', 'presence-room.1,2', 'presence-room.1.x', 'presence-room', 'news.x', 'news.secret', 'news.secret,x', 'news.a.b', 'news',
  'private-a.b', 'private-a,b', 'private-a;b', 'private-a=b@c', 'private-', 'presence-', 'private-encrypted-', 'private-encrypted', '#private-x',
  'private-ä', 'realtime-system', 'private-__proto__', 'constructor', '__proto__', 'private-x\n', ' private-x', 'private-{room}',
  'private-orders.{orderId}', 'x'.repeat(165), `private-${'x'.repeat(156)}`, `private-${'x'.repeat(157)}`,
];
const PREFIXES = ['', 'private-', 'presence-', 'private-encrypted-', 'private-orders.', 'presence-room.', 'private-encrypted-inbox.', 'news.', 'private-encrypted-inbox.u1', 'private-orders.42'];

const suffixArb = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('42', '7', '1', 'u1', 'u2', 'secret', 'general', 'encrypted-x', 'inbox.u1', ',43', ';43', '.43', '=', '@', '') },
  { weight: 4, arbitrary: fc.stringMatching(/^[A-Za-z0-9_\-=@,.;]{1,10}$/) },
  { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 6 }) },
);

export const channelArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...INTERESTING_CHANNELS) },
  { weight: 6, arbitrary: fc.tuple(fc.constantFrom(...PREFIXES), suffixArb).map(([prefix, suffix]) => prefix + suffix) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
);

const socketIdArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 8, arbitrary: fc.tuple(fc.nat({ max: 1e9 }), fc.nat({ max: 1e9 })).map(([a, b]) => `${a}.${b}`) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('', '1', '1.', '.1', 'a.b', '1.2.3', '1.2 ', ' 1.2', '１.２', `${'1'.repeat(80)}.1`, '-1.2', '1e3.2', '1.2\u0000', '0x1.2', 'abc:def!', '1.2:private-x'),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
);

const cookieArb = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('session=alice', 'session=bob') },
  { weight: 1, arbitrary: fc.constantFrom(undefined, 'session=mallory', 'session=', 'session=alice; session=bob', 'other=1; session=bob', '%%%', 'session=alice?') },
);
const authorizationArb = fc.oneof(
  { weight: 6, arbitrary: fc.constant(undefined) },
  { weight: 3, arbitrary: fc.constantFrom(...Object.values(BEARER_TOKENS).map((token) => `Bearer ${token}`)) },
  { weight: 1, arbitrary: fc.constantFrom('Bearer', 'Bearer ', 'Basic YTpi', 'bearer x y', `Bearer ${'a'.repeat(3000)}`, `bearer\t${BEARER_TOKENS.alice}`) },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }).map((text) => headerSafe(`Bearer ${text}`)) },
);
const ODD_CONTENT_TYPES = ['text/plain', 'multipart/form-data; boundary=x', '', 'application/jsonx', 'application/xml', undefined];
const CONTENT_TYPES: Record<AuthSpec['encoding'], readonly (string | undefined)[]> = {
  form: ['application/x-www-form-urlencoded', 'application/x-www-form-urlencoded;charset=UTF-8'],
  json: ['application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON'],
  duplicate: ['application/x-www-form-urlencoded'],
  oversized: ['application/x-www-form-urlencoded'],
  'json-non-string': ['application/json'],
  'json-array': ['application/json'],
  garbage: ['application/json', 'application/x-www-form-urlencoded'],
  bytes: ['application/json', 'application/x-www-form-urlencoded'],
  none: ['application/json', 'application/x-www-form-urlencoded'],
};
const methodArb = (usual: string) => fc.oneof({ weight: 12, arbitrary: fc.constant(usual) }, { weight: 1, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH') });

const encodingArb: fc.Arbitrary<AuthSpec['encoding']> = fc.oneof(
  { weight: 10, arbitrary: fc.constantFrom('form' as const, 'json' as const) },
  { weight: 1, arbitrary: fc.constantFrom('duplicate' as const, 'json-non-string' as const, 'json-array' as const, 'garbage' as const, 'bytes' as const, 'oversized' as const, 'none' as const) },
);

const authArb = (endpoint: AuthSpec['endpoint']): fc.Arbitrary<AuthSpec> =>
  encodingArb.chain((encoding) =>
    fc.record({
      endpoint: fc.constant(endpoint),
      method: methodArb('POST'),
      // Mostly the type that matches the body, sometimes one that does not.
      contentType: fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...CONTENT_TYPES[encoding]) }, { weight: 1, arbitrary: fc.constantFrom(...ODD_CONTENT_TYPES) }),
      cookie: cookieArb,
      authorization: authorizationArb,
      fields: fc.record({
        socket_id: fc.option(socketIdArb, { nil: undefined, freq: 20 }),
        channel_name: fc.option(channelArb, { nil: undefined, freq: 20 }),
        extra: fc.option(fc.string({ maxLength: 10 }), { nil: undefined, freq: 2 }),
      }),
      encoding: fc.constant(encoding),
      garbage: fc.string({ unit: 'binary', maxLength: 40 }),
    }),
  );

/** A session cookie, or none (a visitor without a session: anonymous tokens, public history). */
const cookieOrNoneArb = fc.oneof({ weight: 3, arbitrary: cookieArb }, { weight: 1, arbitrary: fc.constant(undefined) });

const tokenArb: fc.Arbitrary<TokenSpec> = fc.record({
  endpoint: fc.constant('token' as const),
  method: methodArb('GET'),
  // Visitors without a session too (anonymous tokens).
  cookie: cookieOrNoneArb,
  authorization: authorizationArb,
  channels: fc.oneof(
    { weight: 12, arbitrary: fc.array(channelArb, { maxLength: 5 }) },
    { weight: 1, arbitrary: fc.integer({ min: 99, max: 103 }).map((count) => Array.from({ length: count }, (_, index) => `c${index}`)) },
  ),
  socketId: fc.option(socketIdArb, { nil: undefined }),
  anonymous: fc.oneof(
    { weight: 5, arbitrary: fc.constant(undefined) },
    { weight: 5, arbitrary: fc.constant('1') },
    { weight: 1, arbitrary: fc.constantFrom('true', '0', '', '1 ', '11', 'yes') },
  ),
  signIn: fc.oneof(
    { weight: 5, arbitrary: fc.constant(undefined) },
    { weight: 5, arbitrary: fc.constant('1') },
    { weight: 1, arbitrary: fc.constantFrom('true', '0', '', '1 ', 'yes') },
  ),
});

const HISTORY_CHANNEL_NAMES = ['feed.1', 'feed.2', 'feed.3', 'feed.1,2', 'feed.1.2', 'feed', 'news.x', 'news.secret', 'private-orders.42', 'private-orders.7', 'presence-room.1', 'presence-room.2', 'private-general', 'private-encrypted-general', 'plain', 'private-orders.42,7'];

const historyArb: fc.Arbitrary<HistorySpec> = fc.record({
  endpoint: fc.constant('history' as const),
  method: methodArb('GET'),
  cookie: cookieOrNoneArb,
  authorization: authorizationArb,
  channel: fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...HISTORY_CHANNEL_NAMES) },
    { weight: 3, arbitrary: channelArb },
    { weight: 1, arbitrary: fc.constantFrom(undefined, '') },
  ),
  after: fc.oneof(
    { weight: 4, arbitrary: fc.constant(undefined) },
    { weight: 4, arbitrary: fc.constantFrom('0', '1', '2', '3', '4', '999999', '9007199254740991') },
    { weight: 2, arbitrary: fc.constantFrom('', '-1', '01', '1.5', ' 1', '1e3', 'abc', '9007199254740992', '99999999999999999', '0x1', '１', 'null', `${'9'.repeat(40)}`) },
    { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
  ),
  limit: fc.oneof(
    { weight: 4, arbitrary: fc.constant(undefined) },
    { weight: 4, arbitrary: fc.constantFrom('0', '1', '2', '10', '1000') },
    { weight: 2, arbitrary: fc.constantFrom('', '1001', '9999', '10000', '-1', '1.5', 'abc', ' 5', '0x10', 'NaN', '1e2') },
    { weight: 1, arbitrary: fc.string({ maxLength: 6 }) },
  ),
  socketIds: fc.oneof(
    { weight: 6, arbitrary: fc.constant<string[]>([]) },
    { weight: 3, arbitrary: fc.array(fc.oneof(fc.constantFrom('11.1', '22.2', '33.3'), socketIdArb), { maxLength: 3 }) },
    { weight: 1, arbitrary: fc.integer({ min: 19, max: 22 }).map((count) => Array.from({ length: count }, (_, index) => `${index}.1`)) },
  ),
});

const webhookEventArb = fc.record(
  { name: fc.constantFrom('channel_occupied', 'channel_vacated', 'member_added', 'member_removed', 'client_event', 'subscription_count', 'x'), channel: channelArb, user: fc.constantFrom('u1', 'u2', '') },
  { requiredKeys: ['name', 'channel'] },
);

const webhookArb: fc.Arbitrary<WebhookSpec> = fc.record({
  endpoint: fc.constant('webhook' as const),
  method: methodArb('POST'),
  contentType: fc.oneof({ weight: 8, arbitrary: fc.constant('application/json') }, { weight: 1, arbitrary: fc.constantFrom('application/json; charset=utf-8', 'text/plain', undefined, '') }),
  scheme: fc.oneof({ weight: 8, arbitrary: fc.constant('pusher' as const) }, { weight: 1, arbitrary: fc.constant('other' as const) }),
  key: fc.oneof({ weight: 6, arbitrary: fc.constant('right' as const) }, { weight: 1, arbitrary: fc.constantFrom('wrong' as const, 'missing' as const) }),
  signature: fc.oneof(
    { weight: 5, arbitrary: fc.constant('valid' as const) },
    { weight: 1, arbitrary: fc.constantFrom('valid-uppercase' as const, 'wrong-secret' as const, 'missing' as const, 'garbage' as const, 'other-body' as const) },
  ),
  timeOffsetMs: fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: -300_000, max: 30_000 }) },
    { weight: 1, arbitrary: fc.constantFrom(-700_000, 700_000, -601_000, 601_000, -Date.now() + Date.UTC(2001, 0, 1), null) },
  ),
  shape: fc.oneof({ weight: 6, arbitrary: fc.constant('events' as const) }, { weight: 1, arbitrary: fc.constantFrom('garbage-json' as const, 'not-json' as const, 'wrong-scheme-shape' as const) }),
  events: fc.array(webhookEventArb, { maxLength: 4 }),
});

const otherArb: fc.Arbitrary<OtherSpec> = fc.record({
  endpoint: fc.constant('other' as const),
  path: fc.oneof(
    fc.constantFrom('', 'Auth', 'auth/x', 'tokens', '..', 'webhook/../auth', 'hasOwnProperty', 'toString', '__proto__', 'constructor', 'auth%00'),
    // Random names, never one of the real endpoints (an endpoint added later counts as real).
    fc.stringMatching(/^[a-z]{1,8}$/).filter((name) => !Object.prototype.hasOwnProperty.call(REALTIME_ENDPOINTS, name)),
  ),
  method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE'),
});

export const requestArb: fc.Arbitrary<RequestSpec> = fc.oneof(
  { weight: 4, arbitrary: authArb('auth') },
  { weight: 2, arbitrary: authArb('user-auth') },
  { weight: 3, arbitrary: tokenArb },
  { weight: 3, arbitrary: historyArb },
  { weight: 2, arbitrary: webhookArb },
  { weight: 1, arbitrary: otherArb },
);

/** The built request plus what the oracle needs to know about it. */
export interface BuiltRequest {
  request: Request;
  path: string[];
  /** The raw webhook body, when one was sent. */
  rawBody?: string;
  /** The webhook's provider timestamp, as sent. */
  sentAtMs?: number | undefined;
}

function encodeAuthBody(spec: AuthSpec): BodyInit | undefined {
  const fields = Object.entries(spec.fields).filter((entry): entry is [string, string] => entry[1] !== undefined);
  switch (spec.encoding) {
    case 'form':
      return new URLSearchParams(fields).toString();
    case 'json':
      return JSON.stringify(Object.fromEntries(fields));
    case 'duplicate':
      // Always given twice, whatever the fields hold: the handler must refuse to pick one.
      return new URLSearchParams([...fields, ['socket_id', '1.2'], ['socket_id', '3.4']]).toString();
    case 'json-non-string':
      return JSON.stringify({ ...Object.fromEntries(fields), socket_id: 12, channel_name: ['private-orders.42'] });
    case 'json-array':
      return JSON.stringify([Object.fromEntries(fields)]);
    case 'garbage':
      return spec.garbage;
    case 'bytes':
      return Uint8Array.from(spec.garbage, (char) => char.charCodeAt(0) & 0xff);
    case 'oversized':
      return `${new URLSearchParams(fields).toString()}&pad=${'x'.repeat(9000)}`;
    case 'none':
      return undefined;
  }
}

function webhookBody(spec: WebhookSpec, scheme: Scheme, sentAt: number | undefined): string {
  if (spec.shape === 'not-json') return 'this is not json {';
  if (spec.shape === 'garbage-json') return JSON.stringify({ surprise: [1, 2, 3], time_ms: sentAt });
  const asPusher = (scheme === 'pusher') !== (spec.shape === 'wrong-scheme-shape');
  if (asPusher) {
    return JSON.stringify({
      ...(sentAt === undefined ? {} : { time_ms: sentAt }),
      events: spec.events.map((event) => ({ name: event.name, channel: event.channel, ...(event.user ? { user_id: event.user } : {}), event: 'client-x', data: '{}' })),
    });
  }
  return JSON.stringify({
    items: spec.events.map((event) => ({
      webhookId: 'w1',
      source: 'channel.lifecycle',
      name: event.name === 'channel_vacated' ? 'channel.closed' : 'channel.opened',
      ...(sentAt === undefined ? {} : { timestamp: sentAt }),
      data: { channelId: event.channel },
    })),
  });
}

export function buildRequest(spec: RequestSpec, scheme: Scheme): BuiltRequest {
  const base = 'http://app.test/api/realtime/';
  if (spec.endpoint === 'other') {
    return { request: new Request(base + spec.path, { method: spec.method }), path: spec.path.split('/') };
  }
  const headers: Record<string, string> = {};
  if ('cookie' in spec && spec.cookie !== undefined) headers.cookie = spec.cookie;
  if ('authorization' in spec && spec.authorization !== undefined) headers.authorization = spec.authorization;
  if (spec.endpoint === 'token') {
    const query = new URLSearchParams();
    for (const channel of spec.channels) query.append('channel', channel);
    if (spec.socketId !== undefined) query.set('socket_id', spec.socketId);
    if (spec.anonymous !== undefined) query.set('anonymous', spec.anonymous);
    if (spec.signIn !== undefined) query.set('sign_in', spec.signIn);
    const init: RequestInit = { method: spec.method, headers };
    if (spec.method !== 'GET') init.body = 'unexpected';
    return { request: new Request(`${base}token?${query}`, init), path: ['token'] };
  }
  if (spec.endpoint === 'history') {
    const query = new URLSearchParams();
    if (spec.channel !== undefined) query.set('channel', spec.channel);
    if (spec.after !== undefined) query.set('after', spec.after);
    if (spec.limit !== undefined) query.set('limit', spec.limit);
    for (const socketId of spec.socketIds) query.append('socket_id', socketId);
    const init: RequestInit = { method: spec.method, headers };
    if (spec.method !== 'GET') init.body = 'unexpected';
    return { request: new Request(`${base}history?${query}`, init), path: ['history'] };
  }
  if (spec.endpoint === 'webhook') {
    if (spec.contentType !== undefined) headers['content-type'] = spec.contentType;
    const sentAt = spec.timeOffsetMs === null ? undefined : Date.now() + spec.timeOffsetMs;
    const bodyScheme: Scheme = spec.scheme === 'other' ? (scheme === 'pusher' ? 'ably' : 'pusher') : scheme;
    const body = webhookBody(spec, scheme, sentAt);
    const keyName = scheme === 'pusher' ? 'hook-key' : ABLY_KEY.name;
    const secret = scheme === 'pusher' ? WEBHOOK_SECRET : ABLY_KEY.secret;
    const names = bodyScheme === 'pusher' ? ['x-pusher-key', 'x-pusher-signature'] : ['x-ably-key', 'x-ably-signature'];
    if (spec.key !== 'missing') headers[names[0]!] = spec.key === 'right' ? keyName : 'someone-else';
    const signatures: Record<WebhookSpec['signature'], string | undefined> = {
      valid: signWebhook(bodyScheme, body, secret),
      'valid-uppercase': signWebhook(bodyScheme, body, secret).toUpperCase(),
      'wrong-secret': signWebhook(bodyScheme, body, PUSHER_APP.secret),
      missing: undefined,
      garbage: 'not-a-signature',
      'other-body': signWebhook(bodyScheme, `${body} `, secret),
    };
    const signature = signatures[spec.signature];
    if (signature !== undefined) headers[names[1]!] = signature;
    const init: RequestInit = { method: spec.method, headers };
    if (spec.method !== 'GET') init.body = body;
    return { request: new Request(`${base}webhook`, init), path: ['webhook'], rawBody: body, sentAtMs: sentAt };
  }
  if (spec.contentType !== undefined) headers['content-type'] = spec.contentType;
  const body = spec.method === 'GET' ? undefined : encodeAuthBody(spec);
  const init: RequestInit = { method: spec.method, headers };
  if (body !== undefined) init.body = body;
  return { request: new Request(base + spec.endpoint, init), path: [spec.endpoint] };
}
