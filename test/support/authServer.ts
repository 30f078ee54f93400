import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { SignatureAuth } from '../../src/core/providerParts.js';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { jwtVerify, SignJWT } from 'jose';
import type { Realtime } from '../../src/server/index.js';

/**
 * A stand-in for the app's route handlers, over real HTTP: `GET /api/realtime/token` issues a
 * jose-signed JWT for the user named in the `x-test-user` header (the test's "session cookie"),
 * `POST /api/realtime/auth` and `/user-auth` accept only a valid, unrevoked bearer token and sign
 * through the server provider. It records every request so tests can check what clients sent.
 */
export interface TokenIssue {
  user: string;
  jti: string;
  token: string;
  at: number;
  /** The `channel` and `socket_id` query parameters of the request. */
  channels: string[];
  socketId: string | null;
}
export interface AuthCall {
  kind: 'auth' | 'user-auth';
  user: string;
  jti: string;
  socketId: string;
  channel: string | undefined;
  at: number;
}

export interface AuthServer {
  url: string;
  issued: TokenIssue[];
  calls: AuthCall[];
  /** Users the "session" no longer knows: the token endpoint answers 401. */
  loggedOut: Set<string>;
  /** Token ids the server refuses (as after a key rotation): auth endpoints answer 401. */
  revoked: Set<string>;
  /** While set, the token endpoint answers 503 (a retryable failure). */
  unavailable: boolean;
  tokensFor(user: string): TokenIssue[];
  endpoints(user: string): { tokenEndpoint: string; authEndpoint: string; userAuthEndpoint: string; headers: Record<string, string> };
  close(): Promise<void>;
}

const secret = new TextEncoder().encode(randomUUID() + randomUUID());

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startAuthServer(realtime: Realtime, options: { ttlSeconds?: number } = {}): Promise<AuthServer> {
  const issued: TokenIssue[] = [];
  const calls: AuthCall[] = [];
  const loggedOut = new Set<string>();
  const revoked = new Set<string>();
  const state = { unavailable: false };

  const answer = (response: import('node:http').ServerResponse, status: number, body: unknown) => {
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(JSON.stringify(body));
  };

  const server: Server = createServer(async (request, response) => {
    try {
      const url = new URL(request.url ?? '/', 'http://localhost');
      const user = String(request.headers['x-test-user'] ?? '');
      if (request.method === 'GET' && url.pathname === '/api/realtime/token') {
        if (state.unavailable) return answer(response, 503, { error: { code: 'provider_unavailable', message: 'try later' } });
        if (!user || loggedOut.has(user)) return answer(response, 401, { error: { code: 'unauthorized', message: 'log in first' } });
        const jti = randomUUID();
        const ttl = options.ttlSeconds ?? 300;
        const token = await new SignJWT({ scope: 'realtime' })
          .setProtectedHeader({ alg: 'HS256' })
          .setSubject(user)
          .setJti(jti)
          .setIssuedAt()
          .setExpirationTime(`${ttl}s`)
          .sign(secret);
        issued.push({ user, jti, token, at: Date.now(), channels: url.searchParams.getAll('channel'), socketId: url.searchParams.get('socket_id') });
        return answer(response, 200, { token, expiresAt: Date.now() + ttl * 1000, provider: realtime.provider });
      }
      if (request.method === 'POST' && (url.pathname === '/api/realtime/auth' || url.pathname === '/api/realtime/user-auth')) {
        const form = new URLSearchParams(await readBody(request));
        const bearer = /^Bearer (.+)$/.exec(String(request.headers.authorization ?? ''))?.[1];
        if (!bearer) return answer(response, 401, { error: { code: 'unauthorized', message: 'no bearer token' } });
        let claims;
        try {
          ({ payload: claims } = await jwtVerify(bearer, secret));
        } catch {
          return answer(response, 401, { error: { code: 'invalid_token', message: 'bad token' } });
        }
        const subject = String(claims.sub);
        if (revoked.has(String(claims.jti)) || loggedOut.has(subject)) {
          return answer(response, 401, { error: { code: 'invalid_token', message: 'token revoked' } });
        }
        const socketId = form.get('socket_id') ?? '';
        const channel = form.get('channel_name') ?? undefined;
        const kind = url.pathname.endsWith('user-auth') ? 'user-auth' : 'auth';
        calls.push({ kind, user: subject, jti: String(claims.jti), socketId, channel, at: Date.now() });
        const provider = realtime.auth as SignatureAuth;
        const member = { id: subject, info: { name: subject.toUpperCase() } };
        if (kind === 'user-auth') return answer(response, 200, await provider.authenticateUser(socketId, member));
        if (channel?.startsWith('private-forbidden')) return answer(response, 403, { error: { code: 'forbidden', message: 'not yours' } });
        return answer(response, 200, await provider.authorizeChannel(socketId, channel!, channel!.startsWith('presence-') ? member : undefined));
      }
      answer(response, 404, { error: { code: 'not_found', message: 'no route' } });
    } catch (error) {
      answer(response, 500, { error: { code: 'internal', message: String(error) } });
    }
  });
  // 200 clients reconnecting at once is the point of some tests.
  server.maxConnections = 2000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: base,
    issued,
    calls,
    loggedOut,
    revoked,
    get unavailable() {
      return state.unavailable;
    },
    set unavailable(value: boolean) {
      state.unavailable = value;
    },
    tokensFor: (user) => issued.filter((issue) => issue.user === user),
    endpoints: (user) => ({
      tokenEndpoint: `${base}/api/realtime/token`,
      authEndpoint: `${base}/api/realtime/auth`,
      userAuthEndpoint: `${base}/api/realtime/user-auth`,
      headers: { 'x-test-user': user },
    }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
