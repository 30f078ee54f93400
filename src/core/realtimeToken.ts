import { decodeProtectedHeader, errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { RealtimeError } from './errors.js';
import type { Keyring } from './keyring.js';

/**
 * The library's own short-lived token (Pusher-protocol providers; Ably issues its own): an HS256
 * JWT signed with the first key of a keyring (REALTIME_TOKEN_SECRETS), `kid` in the header so
 * every key of the ring can verify it during a rotation. Web Crypto only (jose), so it runs on
 * every runtime the route handlers run on.
 */
export const REALTIME_TOKEN_SCOPE = 'realtime';
export const DEFAULT_TOKEN_TTL_SECONDS = 60;

export interface RealtimeTokenClaims {
  scope: typeof REALTIME_TOKEN_SCOPE;
  /** The user id. */
  sub: string;
  /** Unix seconds. */
  iat: number;
  /** Unix seconds. */
  exp: number;
  jti: string;
}

export interface SignedRealtimeToken {
  token: string;
  kid: string;
  /** Unix milliseconds. */
  expiresAt: number;
}

const encoder = new TextEncoder();

export async function signRealtimeToken(
  keyring: Keyring,
  userId: string,
  options: { ttlSeconds?: number; now?: number } = {},
): Promise<SignedRealtimeToken> {
  const ttl = options.ttlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS;
  if (!Number.isInteger(ttl) || ttl <= 0) throw new RealtimeError('invalid_config', 'token ttl must be a positive whole number of seconds');
  const iat = Math.floor((options.now ?? Date.now()) / 1000);
  const exp = iat + ttl;
  const { kid, secret } = keyring.current;
  const token = await new SignJWT({ scope: REALTIME_TOKEN_SCOPE })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid })
    .setSubject(userId)
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    .setJti(crypto.randomUUID())
    .sign(encoder.encode(secret));
  return { token, kid, expiresAt: exp * 1000 };
}

/**
 * Verifies a token from `Authorization: Bearer`. Every failure is a 401-class RealtimeError:
 * `token_expired` for an expired token, `invalid_token` for anything else (unknown or retired
 * kid, forged signature, wrong algorithm, wrong scope, malformed).
 */
export async function verifyRealtimeToken(
  keyring: Keyring,
  token: string,
  options: { now?: number } = {},
): Promise<RealtimeTokenClaims & { kid: string }> {
  let kid: unknown;
  try {
    kid = decodeProtectedHeader(token).kid;
  } catch {
    throw new RealtimeError('invalid_token', 'the bearer token is not a JWT');
  }
  const entry = typeof kid === 'string' ? keyring.find(kid) : undefined;
  if (!entry) throw new RealtimeError('invalid_token', 'the bearer token was signed with an unknown or retired key');
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, encoder.encode(entry.secret), {
      algorithms: ['HS256'],
      requiredClaims: ['sub', 'exp', 'iat', 'jti'],
      ...(options.now !== undefined ? { currentDate: new Date(options.now) } : {}),
    }));
  } catch (error) {
    if (error instanceof joseErrors.JWTExpired) throw new RealtimeError('token_expired', 'the bearer token has expired; fetch a new one');
    throw new RealtimeError('invalid_token', 'the bearer token is not valid');
  }
  if (payload.scope !== REALTIME_TOKEN_SCOPE) throw new RealtimeError('invalid_token', 'the bearer token is not a realtime token');
  if (typeof payload.sub !== 'string' || payload.sub.length === 0) throw new RealtimeError('invalid_token', 'the bearer token names no user');
  return { ...(payload as unknown as RealtimeTokenClaims), kid: entry.kid };
}
