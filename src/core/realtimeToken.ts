import { RealtimeError } from './errors.js';
import { signJwt, verifyJwt } from './jwt.js';
import type { Keyring } from './keyring.js';

/**
 * The library's own short-lived token (Pusher-protocol providers; Ably issues its own): an HS256
 * JWT signed with the first key of a keyring (REALTIME_TOKEN_SECRETS), `kid` in the header so
 * every key of the ring can verify it during a rotation. Signed and verified by core/jwt.ts.
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

export async function signRealtimeToken(
  keyring: Keyring,
  userId: string,
  options: { ttlSeconds?: number; now?: number } = {},
): Promise<SignedRealtimeToken> {
  const ttl = options.ttlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS;
  if (!Number.isInteger(ttl) || ttl <= 0) throw new RealtimeError('invalid_config', 'token ttl must be a positive whole number of seconds');
  const key = keyring.current;
  const { token, expiresAt } = await signJwt(
    key,
    { scope: REALTIME_TOKEN_SCOPE },
    { subject: userId, ttlSeconds: ttl, issuedAt: Math.floor((options.now ?? Date.now()) / 1000) },
  );
  return { token, kid: key.kid, expiresAt };
}

/**
 * Verifies a token from `Authorization: Bearer`. Every failure is a 401-class RealtimeError:
 * `token_expired` for an expired token, `invalid_token` for anything else (unknown or retired
 * kid, forged signature, wrong algorithm, wrong scope, malformed). The returned `kid` is the key
 * that verified it.
 */
export async function verifyRealtimeToken(
  keyring: Keyring,
  token: string,
  options: { now?: number } = {},
): Promise<RealtimeTokenClaims & { kid: string }> {
  const { payload, kid } = await verifyJwt(keyring, token, {
    what: 'the bearer token',
    requiredClaims: ['sub', 'exp', 'iat', 'jti'],
    ...(options.now !== undefined ? { now: options.now } : {}),
  });
  if (payload.scope !== REALTIME_TOKEN_SCOPE) throw new RealtimeError('invalid_token', 'the bearer token is not a realtime token');
  if (typeof payload.sub !== 'string' || payload.sub.length === 0) throw new RealtimeError('invalid_token', 'the bearer token names no user');
  return { ...(payload as unknown as RealtimeTokenClaims), kid };
}
