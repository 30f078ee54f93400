import { SignJWT, decodeProtectedHeader, jwtVerify, errors as joseErrors } from 'jose';
import { RealtimeError } from '../../core/errors.js';
import type { Keyring } from '../../core/keyring.js';

/**
 * The library's own short-lived JWT (scope `realtime`, `kid` header) signed with the keyring's
 * current key and verified against whichever key its `kid` names, as long as that key still
 * verifies. This is what makes a rotation observable: a token names the key it was made with.
 */
export const TOKEN_SCOPE = 'realtime';
const encoder = new TextEncoder();

export interface RealtimeTokenClaims {
  userId: string;
  kid: string;
  expiresAt: number;
}

export async function signRealtimeToken(keyring: Keyring, userId: string, ttlSeconds = 300): Promise<{ token: string; kid: string; expiresAt: number }> {
  const key = keyring.current;
  const expiresAt = Math.floor(Date.now() / 1000) + ttlSeconds;
  const token = await new SignJWT({ scope: TOKEN_SCOPE })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: key.kid })
    .setSubject(userId)
    .setIssuedAt()
    .setExpirationTime(expiresAt)
    .sign(encoder.encode(key.secret));
  return { token, kid: key.kid, expiresAt: expiresAt * 1000 };
}

export async function verifyRealtimeToken(keyring: Keyring, token: string): Promise<RealtimeTokenClaims> {
  const kid = tokenKid(token);
  const key = kid === undefined ? undefined : keyring.find(kid);
  if (!key) throw new RealtimeError('invalid_token', 'the token was signed with a key that no longer verifies; fetch a new token');
  try {
    const { payload } = await jwtVerify(token, encoder.encode(key.secret), { algorithms: ['HS256'] });
    if (payload.scope !== TOKEN_SCOPE || typeof payload.sub !== 'string') {
      throw new RealtimeError('invalid_token', 'the token is not a realtime token');
    }
    return { userId: payload.sub, kid: key.kid, expiresAt: (payload.exp ?? 0) * 1000 };
  } catch (error) {
    if (error instanceof RealtimeError) throw error;
    if (error instanceof joseErrors.JWTExpired) throw new RealtimeError('token_expired', 'the token expired; fetch a new one', { cause: error });
    throw new RealtimeError('invalid_token', 'the token is invalid', { cause: error });
  }
}

/** The `kid` header of a JWT without verifying it, or undefined when it is not a JWT. */
export function tokenKid(token: string): string | undefined {
  try {
    const { kid } = decodeProtectedHeader(token);
    return typeof kid === 'string' ? kid : undefined;
  } catch {
    return undefined;
  }
}
