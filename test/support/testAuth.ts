import { decodeJwt } from 'jose';
import { defineChannels, type PresenceMember } from '../../src/index.js';
import { createRealtimeHandlers } from '../../src/next/index.js';
import type { Realtime } from '../../src/server/index.js';
import { routeFetch, sessionHeaders, sessionOf, type RouteRequest } from './routeFetch.js';

/**
 * An app whose session can end and whose token endpoint can fail, for the client's reconnect
 * tests: the library's route handlers (createRealtimeHandlers, as in production) behind the
 * client's fetch (routeFetch.ts), the session a cookie naming the user. Every request is
 * recorded, so tests can check which token each request carried.
 */
export interface TokenIssue {
  user: string;
  jti: string;
  token: string;
  at: number;
  /** The `channel` query parameters of the request. */
  channels: string[];
  /** The `socket_id` query parameter, null when absent (a connect, not a re-authentication). */
  socketId: string | null;
}
export interface AuthCall {
  kind: 'auth' | 'user-auth';
  user: string;
  /** The jti of the bearer token the request carried. */
  jti: string;
  socketId: string;
  channel: string | undefined;
  at: number;
}

export interface TestAuth {
  /** Every request the clients made, and the answer. */
  requests: RouteRequest[];
  /** Tokens issued, in order. */
  readonly issued: TokenIssue[];
  /** Auth and sign-in requests the handlers accepted the bearer token of (signed or refused by the policy). */
  readonly calls: AuthCall[];
  /** Users the "session" no longer knows: the token endpoint answers 401, and so do their tokens. */
  loggedOut: Set<string>;
  /** Token ids the app refuses (as after a key rotation): auth endpoints answer 401. */
  revoked: Set<string>;
  /** While set, the token endpoint answers 503 (a retryable failure). */
  unavailable: boolean;
  /** While above 0, that many more POST /auth requests answer 503. */
  failingAuthRequests: number;
  tokensFor(user: string): TokenIssue[];
  /** The browser options of a tab signed in as `user` (spread into createRealtimeClient). */
  clientOptions(user: string): { fetch: typeof fetch; headers: Record<string, string> };
}

const claimsOf = new Map<string, { jti: string; sub: string }>();
/** The claims of a token the handlers issued (decoded once: tests look them up in loops). */
function claims(token: string): { jti: string; sub: string } {
  let known = claimsOf.get(token);
  if (!known) {
    const payload = decodeJwt(token);
    claimsOf.set(token, (known = { jti: String(payload.jti), sub: String(payload.sub) }));
  }
  return known;
}

export function createTestAuth(realtime: Realtime): TestAuth {
  const requests: RouteRequest[] = [];
  const loggedOut = new Set<string>();
  const revoked = new Set<string>();
  const member = (id: string): PresenceMember => ({ id, info: { name: id.toUpperCase() } });
  const handlers = createRealtimeHandlers<{ id: string }>({
    realtime,
    channels: defineChannels({
      'private-forbidden.{x}': () => false,
      'private-{name}.{id}': () => true,
      'presence-{name}.{id}': (user: { id: string }) => member(user.id),
    }),
    getUser: (request) => {
      const user = sessionOf(request);
      return user && !loggedOut.has(user) ? { id: user } : null;
    },
    userFromToken: (claims) => (revoked.has(claims.jti) || loggedOut.has(claims.sub) ? null : { id: claims.sub }),
    tokenSecrets: `test:${crypto.randomUUID()}`,
    tokenTtlSeconds: 300,
    tokenRateLimit: false,
    log: () => undefined,
  });
  const state = {
    unavailable: false,
    failingAuthRequests: 0,
  };
  const outage = (message: string) =>
    new Response(JSON.stringify({ error: { code: 'provider_unavailable', message } }), { status: 503, headers: { 'content-type': 'application/json' } });
  const fetch = routeFetch(handlers, {
    record: requests,
    intercept(_request, endpoint) {
      if (endpoint === 'token' && state.unavailable) return outage('try later');
      if (endpoint === 'auth' && state.failingAuthRequests > 0) {
        state.failingAuthRequests -= 1;
        return outage('auth answered 503');
      }
      return undefined;
    },
  });
  return {
    requests,
    get issued() {
      return requests
        .filter((request) => request.endpoint === 'token' && request.token)
        .map((request) => ({
          user: request.session!,
          jti: claims(request.token!).jti,
          token: request.token!,
          at: request.at,
          channels: request.channels,
          socketId: request.socketId ?? null,
        }));
    },
    get calls() {
      return requests
        .filter((request) => (request.endpoint === 'auth' || request.endpoint === 'user-auth') && request.bearer && request.status !== 401)
        .map((request) => ({
          kind: request.endpoint as 'auth' | 'user-auth',
          user: claims(request.bearer!).sub,
          jti: claims(request.bearer!).jti,
          socketId: request.socketId ?? '',
          channel: request.channel,
          at: request.at,
        }));
    },
    loggedOut,
    revoked,
    get unavailable() {
      return state.unavailable;
    },
    set unavailable(value: boolean) {
      state.unavailable = value;
    },
    get failingAuthRequests() {
      return state.failingAuthRequests;
    },
    set failingAuthRequests(value: number) {
      state.failingAuthRequests = value;
    },
    tokensFor(user) {
      return this.issued.filter((issue) => issue.user === user);
    },
    clientOptions: (user) => ({ fetch, headers: sessionHeaders(user) }),
  };
}
