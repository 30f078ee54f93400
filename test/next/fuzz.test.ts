import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { defineChannels, SYSTEM_CHANNEL, type ChannelPolicy } from '../../src/index.js';
import { createRealtimeHandlers, REALTIME_ENDPOINTS } from '../../src/next/index.js';
import { createRealtime, withHistory, type HistoryRealtime } from '../../src/server/index.js';
import {
  ABLY_KEY,
  ABLY_OPERATIONS,
  bearerUser,
  HISTORY_CHANNELS,
  HISTORY_SOCKETS,
  isCursor,
  isHistoryChannel,
  kindOf,
  openToAnonymous,
  PUSHER_APP,
  pusherAuthIsValid,
  referencePolicy,
  SECRETS,
  sessionUser,
  sharedSecretFor,
  TOKEN_SECRETS,
  TOKEN_TTL_SECONDS,
  userById,
  validChannelName,
  validPusherSocketId,
  verifyAblyToken,
  verifyLibraryToken,
  WEBHOOK_MAX_AGE_MS,
  WEBHOOK_SECRET,
  webhookSignatureIsValid,
  type FuzzUser,
} from './fuzzOracle.js';
import { buildRequest, requestArb, type AuthSpec, type BuiltRequest, type HistorySpec, type RequestSpec, type Scheme, type TokenSpec } from './fuzzRequests.js';

/**
 * Generated hostile requests against every endpoint of the route handlers (auth, user-auth, token
 * with Ably's anonymous tokens, history, webhook, and paths that are none of them), on a
 * Pusher-protocol (Soketi) and an Ably configuration, judged by an independent oracle
 * (fuzzOracle.ts: the policy, the history channels and the channels open to anonymous visitors by
 * hand, signatures and tokens checked with node:crypto). Per request: no 5xx, no exception, no
 * signature or token beyond the policy (and every one verifies), no history event a reader may
 * not subscribe to (counted as a leak), no secret in a response or a log line; well-formed
 * requests also get exactly the oracle's decision.
 *
 * Seeded: FUZZ_SEED=<n> replays a run (the seed is printed in the summary line and in a failure),
 * FUZZ_RUNS=<n> changes the number of requests per configuration.
 */
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Math.floor(Math.random() * 2 ** 31);
const RUNS_PER_CONFIGURATION = process.env.FUZZ_RUNS ? Number(process.env.FUZZ_RUNS) : 5_200;

type User = FuzzUser;

/** The policy the oracle re-implements by hand (see referencePolicy). */
const policy = defineChannels({
  'private-orders.{orderId:int}': (user: User, { orderId }) => user.orders.includes(orderId),
  'presence-room.{roomId}': (user: User, { roomId }) => user.rooms.includes(roomId) && { id: user.id, info: { name: user.name } },
  'private-encrypted-inbox.{userId}': (user: User, { userId }) => user.id === userId,
  'private-{room}': () => true,
  'news.{topic}': (_user: User, { topic }) => topic !== 'secret',
});

interface Stats {
  requests: number;
  serverErrors: number;
  exceptions: number;
  badSignatures: number;
  leaks: number;
  wrongDecisions: number;
  statuses: Map<number, number>;
  /** Per endpoint and status (`history:200+events`, `token:200+anonymous`): what the generator reached. */
  outcomes: Map<string, number>;
}
const newStats = (): Stats => ({ requests: 0, serverErrors: 0, exceptions: 0, badSignatures: 0, leaks: 0, wrongDecisions: 0, statuses: new Map(), outcomes: new Map() });

async function createFuzzApp(scheme: Scheme, channels: ChannelPolicy<User> = policy) {
  const plain =
    scheme === 'pusher'
      ? createRealtime({ provider: 'soketi', appId: PUSHER_APP.appId, key: PUSHER_APP.key, secret: PUSHER_APP.secret, encryptionMasterKeyBase64: PUSHER_APP.masterKey, host: '127.0.0.1', port: 1 })
      : createRealtime({ provider: 'ably', apiKeys: [`${ABLY_KEY.name}:${ABLY_KEY.secret}`], endpoint: 'localhost', port: 1, tls: false });
  // History channels (GET /history), in this process's memory, seeded straight into the store (the
  // provider is unreachable: nothing is published): event n of a channel says its channel and n.
  const realtime: HistoryRealtime = withHistory(plain, {
    channels: { 'feed.{id}': true, 'news.{topic}': true, 'private-orders.{orderId:int}': true, 'presence-room.{roomId}': true, 'private-{room}': true },
  });
  for (const channel of HISTORY_CHANNELS) {
    for (const [index, socketId] of HISTORY_SOCKETS.entries()) {
      const bounds = realtime.historyBounds(channel)!;
      await realtime.historyStore.append(channel, { id: `${channel}-${index + 1}`, event: 'seeded', json: JSON.stringify({ channel, n: index + 1 }), socketId }, bounds);
    }
  }
  const logged: string[] = [];
  const received: number[] = [];
  const handlers = createRealtimeHandlers<User>({
    realtime,
    channels,
    getUser: (request) => sessionUser(request.headers.get('cookie') ?? undefined) ?? null,
    userFromToken: (claims) => userById(claims.sub) ?? null,
    tokenSecrets: TOKEN_SECRETS,
    tokenTtlSeconds: TOKEN_TTL_SECONDS,
    tokenRateLimit: false,
    anonymousTokens: { rateLimit: false },
    webhook: {
      ...(scheme === 'pusher' ? { secrets: `hook-key:${WEBHOOK_SECRET}` } : {}),
      onEvents: (events) => void received.push(events.length),
    },
    log: (line) => logged.push(line),
  });
  return { scheme, realtime, handlers, logged, received };
}
type FuzzApp = Awaited<ReturnType<typeof createFuzzApp>>;

const mediaType = (value: string | undefined) => (value ?? '').split(';')[0]!.trim().toLowerCase();

/** The fields the handler would read, parsed independently; undefined when the body is not well-formed. */
function oracleFields(spec: AuthSpec): Record<string, string> | undefined {
  const type = mediaType(spec.contentType);
  const expected = type === 'application/x-www-form-urlencoded' ? 'form' : type === 'application/json' ? 'json' : undefined;
  if (spec.encoding !== expected) return undefined;
  const fields: Record<string, string> = {};
  for (const [name, value] of Object.entries(spec.fields)) if (value !== undefined) fields[name] = value;
  return fields;
}

/** Who the oracle says the request is from: the session, else (where allowed) a valid bearer. */
function oracleUser(cookie: string | undefined, authorization: string | undefined, allowBearer: boolean): User | undefined {
  return sessionUser(cookie) ?? (allowBearer ? bearerUser(authorization) : undefined);
}

function judge(app: FuzzApp, spec: RequestSpec, status: number, body: any, text: string, raw: BuiltRequest & { headers: Headers }): string[] {
  const problems: string[] = [];
  const bad = (what: string) => problems.push(`bad signature: ${what}`);
  if (status >= 500) problems.push(`5xx: ${status} ${text.slice(0, 200)}`);
  if (status >= 400 && !(body && typeof body.error?.code === 'string' && typeof body.error?.message === 'string')) problems.push(`error without a JSON error body: ${text.slice(0, 120)}`);
  if (status >= 300 && /"(auth|token|channel_data|shared_secret)"/.test(text)) bad('an error response carries a credential');

  if (spec.endpoint === 'auth' || spec.endpoint === 'user-auth') {
    const fields = oracleFields(spec);
    const user = oracleUser(spec.cookie, spec.authorization, true);
    const socketOk = fields?.socket_id !== undefined && validPusherSocketId(fields.socket_id);
    if (status === 200) {
      if (app.scheme === 'ably') bad(`${spec.endpoint} signed on a token provider`);
      else if (!fields || !user || !socketOk) bad(`${spec.endpoint} signed a request the oracle refuses (user ${user?.id}, fields ${JSON.stringify(fields)})`);
      else if (spec.endpoint === 'auth') {
        const channel = fields.channel_name ?? '';
        const verdict = referencePolicy(user, channel);
        if (!verdict.allowed || kindOf(channel) === 'public') bad(`auth for ${JSON.stringify(channel)} that the policy does not allow to ${user.id}`);
        const kind = kindOf(channel);
        const channelData = kind === 'presence' ? body.channel_data : undefined;
        if (kind === 'presence' && JSON.stringify(JSON.parse(channelData ?? 'null')) !== JSON.stringify(verdict.member)) bad(`presence member ${channelData} differs from ${JSON.stringify(verdict.member)}`);
        if (kind !== 'presence' && body.channel_data !== undefined) bad('channel_data on a non-presence channel');
        if (!pusherAuthIsValid(body.auth, `${fields.socket_id}:${channel}${channelData === undefined ? '' : `:${channelData}`}`)) bad(`auth for ${channel} does not verify`);
        if (kind === 'private-encrypted' ? body.shared_secret !== sharedSecretFor(channel) : body.shared_secret !== undefined) bad(`shared_secret wrong for ${channel}`);
      } else {
        let userData: { id?: unknown } | undefined;
        try {
          userData = JSON.parse(body.user_data);
        } catch {
          userData = undefined;
        }
        if (userData?.id !== user.id) bad(`user-auth for ${JSON.stringify(userData?.id)}, the request is from ${user.id}`);
        if (!pusherAuthIsValid(body.auth, `${fields.socket_id}::user::${body.user_data}`)) bad('user-auth signature does not verify');
      }
    }
    const clean =
      spec.method === 'POST' && fields !== undefined && sessionUser(spec.cookie) !== undefined && spec.cookie?.split(';').length === 1 && spec.authorization === undefined &&
      socketOk && (spec.endpoint === 'user-auth' || (validChannelName(fields.channel_name ?? '') && kindOf(fields.channel_name!) !== 'public'));
    if (clean) {
      // Ably signs nothing here (400 not_supported), but the policy still refuses first (403).
      const allowed = spec.endpoint === 'user-auth' || referencePolicy(user!, fields!.channel_name!).allowed;
      const expected = allowed ? (app.scheme === 'ably' ? 400 : 200) : 403;
      if (status !== expected) problems.push(`wrong decision: ${spec.endpoint} ${JSON.stringify(fields)} for ${user!.id} answered ${status}, oracle says ${expected}`);
    }
  }

  if (spec.endpoint === 'token') judgeToken(app, spec, status, body, problems);
  if (spec.endpoint === 'history') judgeHistory(spec, status, body, text, problems);

  if (spec.endpoint === 'webhook') {
    // Judged from what was actually sent: the headers and the raw body, verified with node:crypto.
    const names = app.scheme === 'pusher' ? ['x-pusher-key', 'x-pusher-signature'] : ['x-ably-key', 'x-ably-signature'];
    const keyName = app.scheme === 'pusher' ? 'hook-key' : ABLY_KEY.name;
    const secret = app.scheme === 'pusher' ? WEBHOOK_SECRET : ABLY_KEY.secret;
    const signed =
      raw.headers.get(names[0]!) === keyName && raw.rawBody !== undefined && webhookSignatureIsValid(app.scheme, raw.headers.get(names[1]!) ?? undefined, raw.rawBody, secret);
    const age = raw.sentAtMs === undefined ? undefined : Date.now() - raw.sentAtMs;
    if (status === 200) {
      if (!signed) bad(`webhook accepted without a valid signature (${spec.signature}, key ${spec.key}, scheme ${spec.scheme})`);
      if (age === undefined || Math.abs(age) > WEBHOOK_MAX_AGE_MS) bad(`webhook accepted with a timestamp ${age} ms old`);
      if (mediaType(spec.contentType) !== 'application/json') bad(`webhook accepted as ${spec.contentType}`);
      if (body?.received !== app.received.at(-1)) problems.push(`wrong decision: answered received=${body?.received}, onEvents got ${app.received.at(-1)}`);
    }
    const wellFormed = spec.shape === 'events' && spec.events.every((event) => event.channel.length > 0 && (!['member_added', 'member_removed'].includes(event.name) || event.user));
    if (app.scheme === 'pusher' && spec.method === 'POST' && spec.contentType === 'application/json' && signed && age !== undefined && Math.abs(age) < WEBHOOK_MAX_AGE_MS - 5_000 && wellFormed) {
      if (status !== 200) problems.push(`wrong decision: a signed fresh webhook answered ${status}: ${text.slice(0, 160)}`);
    }
  }

  if (spec.endpoint === 'other' && ![404, 405].includes(status)) problems.push(`wrong decision: /${spec.path} answered ${status}`);
  return problems;
}

/** GET /token: the library token, the user's Ably token, or an anonymous Ably token, each within the policy. */
function judgeToken(app: FuzzApp, spec: TokenSpec, status: number, body: any, problems: string[]): void {
  const bad = (what: string) => problems.push(`bad signature: ${what}`);
  const user = sessionUser(spec.cookie); // a token never mints another token: sessions only
  const namesOk = spec.channels.length <= 100 && spec.channels.every(validChannelName);
  const socketOk = spec.socketId === undefined || spec.socketId === '' || /^[A-Za-z0-9!$@_.:\-]{1,128}$/.test(spec.socketId);
  // Without a session only an Ably client that asks (anonymous=1) gets a token: an anonymous one.
  const anonymousAsked = app.scheme === 'ably' && spec.anonymous === '1';
  // A live Pusher-protocol connection that asks (sign_in=1 with its socket id) gets its sign-in too.
  const signInAsked = app.scheme === 'pusher' && spec.signIn === '1' && spec.socketId !== undefined && spec.socketId !== '';
  const signInFor = signInAsked && validPusherSocketId(spec.socketId!) ? spec.socketId : undefined;
  if (status === 200 && body?.userAuthentication !== undefined) {
    const signIn = body.userAuthentication;
    let userData: { id?: unknown } | undefined;
    try {
      userData = JSON.parse(signIn.user_data);
    } catch {
      userData = undefined;
    }
    if (!user || signInFor === undefined) bad(`token answer carries a sign-in nobody asked for (${app.scheme}, sign_in=${spec.signIn}, socket ${spec.socketId}, user ${user?.id})`);
    else {
      if (userData?.id !== user.id) bad(`token sign-in for ${JSON.stringify(userData?.id)}, the session is ${user.id}`);
      if (!pusherAuthIsValid(signIn.auth, `${signInFor}::user::${signIn.user_data}`)) bad('token sign-in signature does not verify for the socket asked for');
    }
  } else if (status === 200 && user && signInFor !== undefined) {
    problems.push(`wrong decision: token for ${user.id} with sign_in=1 and socket ${signInFor} carries no sign-in`);
  }
  if (status === 200) {
    if (spec.method !== 'GET' || !namesOk) bad(`token issued to a request the oracle refuses (${user?.id}, ${spec.channels.length} channels)`);
    else if (!user) {
      if (!anonymousAsked) bad(`token issued without a session (anonymous=${spec.anonymous}, ${app.scheme})`);
      else {
        const claims = verifyAblyToken(body.token);
        if (!claims) bad('anonymous Ably token does not verify with the Ably key');
        else {
          if ('x-ably-clientId' in claims) bad(`anonymous Ably token names clientId ${String(claims['x-ably-clientId'])}`);
          if ('x-realtime-presence' in claims) bad('anonymous Ably token carries presence member info');
          if (body.anonymous !== true) bad('anonymous token not marked anonymous');
          if ((claims.exp as number) - (claims.iat as number) !== TOKEN_TTL_SECONDS) bad(`anonymous token lifetime ${(claims.exp as number) - (claims.iat as number)} s`);
          const capability = JSON.parse(String(claims['x-ably-capability'])) as Record<string, string[]>;
          for (const [channel, operations] of Object.entries(capability)) {
            const granted = (channel === SYSTEM_CHANNEL || spec.channels.includes(channel)) && openToAnonymous(channel);
            if (!granted || channel.includes('*')) bad(`anonymous Ably capability grants ${channel} beyond the public channels the policy leaves open`);
            if (JSON.stringify(operations) !== '["subscribe"]') bad(`anonymous Ably capability ${channel}: ${operations}`);
          }
          for (const channel of spec.channels) {
            if (openToAnonymous(channel) && !(channel in capability)) problems.push(`wrong decision: open ${channel} missing from the anonymous token`);
          }
        }
      }
    } else if (app.scheme === 'pusher') {
      const claims = verifyLibraryToken(body.token);
      if (!claims) bad('library token does not verify with k2');
      else if (claims.sub !== user.id || claims.scope !== 'realtime' || (claims.exp as number) - (claims.iat as number) !== TOKEN_TTL_SECONDS) bad(`library token claims ${JSON.stringify(claims)}`);
    } else {
      const claims = verifyAblyToken(body.token);
      if (!claims) bad('Ably token does not verify with the Ably key');
      else {
        if (claims['x-ably-clientId'] !== user.id) bad(`Ably token for ${String(claims['x-ably-clientId'])}, the session is ${user.id}`);
        if (body.anonymous !== undefined) bad('a user token marked anonymous');
        const capability = JSON.parse(String(claims['x-ably-capability'])) as Record<string, string[]>;
        for (const [channel, operations] of Object.entries(capability)) {
          const granted = channel === SYSTEM_CHANNEL || (spec.channels.includes(channel) && referencePolicy(user, channel).allowed);
          if (!granted || channel.includes('*')) bad(`Ably capability grants ${channel} beyond the policy`);
          if (JSON.stringify(operations) !== JSON.stringify(ABLY_OPERATIONS[kindOf(channel)])) bad(`Ably capability ${channel}: ${operations}`);
        }
        for (const channel of spec.channels) {
          if (referencePolicy(user, channel).allowed && !(channel in capability)) problems.push(`wrong decision: allowed ${channel} missing from the Ably token`);
        }
      }
    }
  }
  if (spec.method === 'GET' && namesOk && socketOk) {
    let expected: number | undefined;
    if (!user) expected = anonymousAsked ? 200 : 401;
    else if (spec.cookie?.split(';').length === 1) {
      const encryptedAllowed = spec.channels.some((channel) => kindOf(channel) === 'private-encrypted' && referencePolicy(user, channel).allowed);
      // A sign-in is signed only for a socket id the Pusher protocol can have.
      const unsignableSocket = signInAsked && signInFor === undefined;
      expected = (app.scheme === 'ably' && encryptedAllowed) || unsignableSocket ? 400 : 200;
    }
    if (expected !== undefined && status !== expected) problems.push(`wrong decision: token for ${user?.id ?? 'no session'} ${JSON.stringify(spec.channels)} answered ${status}, oracle says ${expected}`);
  }
}

/**
 * GET /history: the oracle's own order of checks (bad input 400 first, then "is this a history
 * channel", then who may read, then the cursor and the limit) and, for what it answers, that
 * nothing beyond the reader's policy and the request comes back.
 */
function judgeHistory(spec: HistorySpec, status: number, body: any, text: string, problems: string[]): void {
  const channel = spec.channel ?? '';
  // The reader: the session, else a bearer token that verifies; no header at all: anonymous.
  const user = sessionUser(spec.cookie) ?? (spec.authorization === undefined ? undefined : bearerUser(spec.authorization));
  const anonymous = !sessionUser(spec.cookie) && spec.authorization === undefined;
  const mayRead = user ? referencePolicy(user, channel).allowed : anonymous && openToAnonymous(channel);
  const socketIds = spec.socketIds.filter((id) => id !== '');
  const limitText = spec.limit ?? '';
  const limit = limitText === '' ? 50 : Number(limitText);
  const after = spec.after ?? '';

  let expected: { status: number; code?: string } | 'page';
  if (spec.method !== 'GET') expected = { status: 405 };
  else if (!validChannelName(channel)) expected = { status: 400, code: 'invalid_channel' };
  else if (socketIds.length > 20 || !socketIds.every((id) => /^[A-Za-z0-9!$@_.:\-]{1,128}$/.test(id))) expected = { status: 400, code: 'invalid_socket_id' };
  else if (limitText !== '' && !/^[0-9]{1,4}$/.test(limitText)) expected = { status: 400, code: 'invalid_payload' };
  else if (!isHistoryChannel(channel)) expected = 'page';
  else if (!mayRead) expected = { status: user ? 403 : 401 };
  else if (limit > 1000 || (after !== '' && !isCursor(after))) expected = { status: 400, code: 'invalid_payload' };
  else expected = 'page';

  if (status === 200) {
    if (body?.history === true) {
      if (!isHistoryChannel(channel)) problems.push(`wrong decision: ${channel} answered as a history channel`);
      if (!mayRead) problems.push(`leak: history of ${channel} read by ${user?.id ?? (anonymous ? 'an anonymous visitor' : 'a bad bearer token')}`);
    }
    const events: Array<{ seq: number; event: string; data: { channel?: string; n?: number } }> = Array.isArray(body?.events) ? body.events : [];
    if (body?.history !== true && events.length > 0) problems.push(`leak: events of a non-history answer for ${channel}`);
    for (const [index, event] of events.entries()) {
      if (event.data?.channel !== channel) problems.push(`leak: an event of ${String(event.data?.channel)} in the history of ${channel}`);
      const from = HISTORY_SOCKETS[(event.data?.n ?? 0) - 1];
      if (from && socketIds.includes(from)) problems.push(`leak: event ${event.seq} of excluded socket ${from}`);
      if (after !== '' && isCursor(after) && event.seq <= Number(after)) problems.push(`wrong decision: event ${event.seq} is not after ${after}`);
      if (index > 0 && event.seq <= events[index - 1]!.seq) problems.push('wrong decision: history events out of order');
    }
    if (events.length > limit) problems.push(`wrong decision: ${events.length} events for limit ${limit}`);
  } else if (/"events"/.test(text)) problems.push(`leak: a ${status} answer carries events`);

  if (expected === 'page') {
    if (status !== 200) problems.push(`wrong decision: history ${JSON.stringify(spec)} answered ${status}: ${text.slice(0, 160)}, oracle says 200`);
    else if (isHistoryChannel(channel) && HISTORY_CHANNELS.includes(channel) && after === '0' && socketIds.length === 0 && limit >= 3 && body?.events?.length !== 3) {
      problems.push(`wrong decision: ${channel} from 0 gave ${body?.events?.length} of its 3 events`);
    }
  } else if (status !== expected.status || (expected.code !== undefined && body?.error?.code !== expected.code)) {
    problems.push(`wrong decision: history ${JSON.stringify(spec)} answered ${status} ${body?.error?.code}, oracle says ${expected.status} ${expected.code ?? ''}`);
  }
}

function leaksIn(text: string): string[] {
  const found: string[] = [];
  for (const secret of SECRETS) if (text.includes(secret)) found.push(`secret ${secret.slice(0, 6)}...`);
  if (/auth_signature/i.test(text)) found.push('auth_signature');
  return found;
}

async function send(app: FuzzApp, spec: RequestSpec, stats: Stats): Promise<string[]> {
  stats.requests++;
  const built = buildRequest(spec, app.scheme);
  const logFrom = app.logged.length;
  let response: Response;
  try {
    const handler = built.request.method === 'GET' ? app.handlers.GET : app.handlers.POST;
    response = await handler(built.request, { params: Promise.resolve({ path: built.path }) });
  } catch (error) {
    stats.exceptions++;
    return [`exception: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`];
  }
  const text = await response.text();
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  stats.statuses.set(response.status, (stats.statuses.get(response.status) ?? 0) + 1);
  const detail =
    spec.endpoint === 'history' && body?.events?.length > 0
      ? '+events'
      : spec.endpoint === 'token' && body?.anonymous === true
        ? '+anonymous'
        : spec.endpoint === 'token' && body?.userAuthentication !== undefined
          ? '+signIn'
          : '';
  const outcome = `${spec.endpoint}:${response.status}${detail}`;
  stats.outcomes.set(outcome, (stats.outcomes.get(outcome) ?? 0) + 1);
  const problems = judge(app, spec, response.status, body, text, { ...built, headers: built.request.headers });
  const leaks = leaksIn([text, ...response.headers.values(), ...app.logged.slice(logFrom)].join('\n'));
  problems.push(...leaks.map((leak) => `leak: ${leak}`));
  if (problems.some((problem) => problem.startsWith('leak'))) stats.leaks++;
  if (response.status >= 500) stats.serverErrors++;
  if (problems.some((problem) => problem.startsWith('bad signature'))) stats.badSignatures++;
  if (problems.some((problem) => problem.startsWith('wrong decision'))) stats.wrongDecisions++;
  return problems;
}

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => void unhandled.push(reason);
process.on('unhandledRejection', onUnhandled);

const total = newStats();
const apps: FuzzApp[] = [];
afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  await Promise.all(apps.map((app) => app.realtime.close()));
  const statuses = [...total.statuses].sort(([a], [b]) => a - b).map(([status, count]) => `${status}:${count}`).join(' ');
  // The one summary line (requests, 5xx, exceptions, bad signatures, leaks).
  console.log(
    `fuzz summary (seed ${SEED}): requests=${total.requests} 5xx=${total.serverErrors} exceptions=${total.exceptions + unhandled.length} badSignatures=${total.badSignatures} leaks=${total.leaks} wrongDecisions=${total.wrongDecisions} statuses=[${statuses}]`,
  );
});

async function fuzz(app: FuzzApp, runs: number, seed: number, stats: Stats) {
  return fc.check(
    fc.asyncProperty(requestArb, async (spec) => {
      const problems = await send(app, spec, stats);
      if (problems.length > 0) throw new Error(problems.join('\n'));
    }),
    { seed, numRuns: runs, endOnFailure: true },
  );
}

describe(`generated hostile requests, judged by an independent oracle (FUZZ_SEED=${SEED})`, () => {
  for (const scheme of ['pusher', 'ably'] as const) {
    it(`${RUNS_PER_CONFIGURATION} requests to every endpoint on the ${scheme === 'pusher' ? 'Pusher-protocol (Soketi)' : 'Ably'} configuration`, async () => {
      const app = await createFuzzApp(scheme);
      apps.push(app);
      const stats = newStats();
      const result = await fuzz(app, RUNS_PER_CONFIGURATION, SEED + (scheme === 'ably' ? 1 : 0), stats);
      for (const key of ['requests', 'serverErrors', 'exceptions', 'badSignatures', 'leaks', 'wrongDecisions'] as const) total[key] += stats[key];
      for (const [status, count] of stats.statuses) total.statuses.set(status, (total.statuses.get(status) ?? 0) + count);
      expect(result.failed, result.failed ? `${fc.defaultReportMessage(result)}\n${String(result.errorInstance)}\nreplay with FUZZ_SEED=${SEED}` : '').toBe(false);
      expect(unhandled).toEqual([]);
      // The generator reaches the interesting outcomes, not one early refusal.
      for (const status of [200, 400, 401, 403, 404]) expect(stats.statuses.get(status) ?? 0, `status ${status}: ${JSON.stringify([...stats.statuses])}`).toBeGreaterThan(RUNS_PER_CONFIGURATION / 200);
      // Every endpoint's interesting answers, history's and the anonymous token's included.
      const reached = [...stats.outcomes].sort().map(([outcome, count]) => `${outcome}=${count}`).join(' ');
      const wanted = [scheme === 'pusher' ? 'auth:200' : 'auth:400', 'auth:403', 'token:401', 'history:200', 'history:200+events', 'history:400', 'history:401', 'history:403', 'history:405', 'webhook:200'];
      wanted.push(scheme === 'ably' ? 'token:200+anonymous' : 'token:200+signIn');
      // An endpoint added to the handlers later fails here until the generator and the oracle know it.
      for (const endpoint of Object.keys(REALTIME_ENDPOINTS)) expect(reached, `no request to /${endpoint}`).toMatch(new RegExp(`(^| )${endpoint}:`));
      for (const outcome of wanted) expect(stats.outcomes.get(outcome) ?? 0, `${outcome} not reached: ${reached}`).toBeGreaterThan(RUNS_PER_CONFIGURATION / 500);
      expect(stats.requests).toBeGreaterThanOrEqual(RUNS_PER_CONFIGURATION);
    }, 120_000);
  }

  it('self-test: the oracle catches a deliberately lax policy (a placeholder that spans the kind prefix and list separators)', async () => {
    // The bug this suite guards against: `private-{room}` matched by a regex alone, so it also
    // authorizes `private-encrypted-*` (with a shared_secret) and `private-a,b`.
    const lax: ChannelPolicy<User> = {
      patterns: policy.patterns,
      async authorize(user, channel) {
        if (/^private-[^.]+$/.test(channel)) return { allowed: true, kind: channel.startsWith('private-encrypted-') ? 'private-encrypted' : 'private', pattern: 'private-{room}' };
        return policy.authorize(user, channel);
      },
    };
    const app = await createFuzzApp('pusher', lax);
    apps.push(app);
    const stats = newStats();
    const result = await fuzz(app, 3_000, SEED, stats);
    expect(result.failed, JSON.stringify({ ...stats, statuses: [...stats.statuses] })).toBe(true);
    expect(String(result.errorInstance)).toMatch(/bad signature/);
    const [spec] = result.counterexample as [RequestSpec];
    expect(spec.endpoint).toBe('auth');
    expect((spec as AuthSpec).fields.channel_name).toMatch(/^private-(encrypted-|[^.]*[,;])/);
  }, 60_000);

  it('self-test: on Ably, the oracle catches a policy that hides its public pattern (news.{topic}) from anonymous tokens and history reads', async () => {
    // The handlers learn which public channels are not open to anyone from `patterns`: a policy
    // that lists none hands `news.*` to every visitor without a session.
    const hiding: ChannelPolicy<User> = { patterns: [], authorize: (user, channel) => policy.authorize(user, channel) };
    const app = await createFuzzApp('ably', hiding);
    apps.push(app);
    const stats = newStats();
    const result = await fuzz(app, 3_000, SEED, stats);
    expect(result.failed, JSON.stringify({ ...stats, statuses: [...stats.statuses] })).toBe(true);
    // Whatever shrinks first: a token or a read beyond the policy, or a refusal that came too late.
    expect(String(result.errorInstance)).toMatch(/(bad signature: anonymous Ably capability grants |leak: history of |wrong decision: .*"channel":")news\./);
    const [spec] = result.counterexample as [RequestSpec];
    expect(['token', 'history']).toContain(spec.endpoint);
  }, 60_000);
});

