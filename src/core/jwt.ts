import { errors as joseErrors, jwtVerify, SignJWT, type JWTPayload, type JWTVerifyOptions } from 'jose';
import { hmacSha256Key } from './crypto.js';
import { RealtimeError, type ProviderName } from './errors.js';
import type { Keyring, KeyringEntry } from './keyring.js';

/**
 * Every JWT the library signs or verifies goes through here: its own bearer tokens
 * (realtimeToken.ts) and Ably JWTs (providers/ably/tokens.ts). HS256, `kid` in the header naming
 * the keyring entry that signed it. Verification looks the key up through `getKey(header)` inside
 * jose's `jwtVerify`, so the header is decoded once, by jose, and a `kid` is trusted only as part
 * of a token whose signature verified with that very key. Web Crypto only (jose): every runtime.
 */

/** Bearer credentials in an Authorization header: the one pattern for it. */
export const BEARER_PATTERN = /^Bearer[ \t]+([A-Za-z0-9._~+/=-]+)[ \t]*$/i;

export interface SignJwtOptions {
  /** Unix seconds; now by default. */
  issuedAt?: number;
  ttlSeconds: number;
  subject?: string;
}

export async function signJwt(key: KeyringEntry, claims: JWTPayload, options: SignJwtOptions): Promise<{ token: string; expiresAt: number }> {
  const iat = options.issuedAt ?? Math.floor(Date.now() / 1000);
  const exp = iat + options.ttlSeconds;
  let jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: key.kid })
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    // A unique id per token: two tokens are never the same text, even within one second.
    .setJti(crypto.randomUUID());
  if (options.subject !== undefined) jwt = jwt.setSubject(options.subject);
  return { token: await jwt.sign(await hmacSha256Key(key.secret)), expiresAt: exp * 1000 };
}

export interface VerifiedJwt {
  payload: JWTPayload;
  /** The id of the key whose secret verified the signature. */
  kid: string;
}

export interface VerifyJwtOptions {
  /** Unix milliseconds; now by default. */
  now?: number;
  requiredClaims?: string[];
  /** Error wording: what the token is ("the bearer token", "the Ably token"). */
  what: string;
  provider?: ProviderName;
}

/**
 * Verifies `token` with the key its header names. Every failure is a 401-class RealtimeError:
 * `token_expired` when expired, `invalid_token` otherwise (malformed, unknown or retired kid,
 * forged signature, other algorithm). Messages never carry a secret.
 */
export async function verifyJwt(keyring: Keyring, token: string, options: VerifyJwtOptions): Promise<VerifiedJwt> {
  const meta = options.provider ? { provider: options.provider } : {};
  let entry: KeyringEntry | undefined;
  const getKey = (header: { kid?: string | undefined }) => {
    entry = typeof header.kid === 'string' ? keyring.find(header.kid) : undefined;
    if (!entry) throw new RealtimeError('invalid_token', `${options.what} was signed with an unknown or retired key`, meta);
    return hmacSha256Key(entry.secret);
  };
  const verifyOptions: JWTVerifyOptions = {
    algorithms: ['HS256'],
    ...(options.requiredClaims ? { requiredClaims: options.requiredClaims } : {}),
    ...(options.now !== undefined ? { currentDate: new Date(options.now) } : {}),
  };
  try {
    const { payload } = await jwtVerify(token, getKey, verifyOptions);
    return { payload, kid: entry!.kid };
  } catch (error) {
    if (error instanceof RealtimeError) throw error;
    if (error instanceof joseErrors.JWTExpired) throw new RealtimeError('token_expired', `${options.what} has expired; fetch a new one`, meta);
    if (error instanceof joseErrors.JWSInvalid || error instanceof joseErrors.JWTInvalid) {
      throw new RealtimeError('invalid_token', `${options.what} is not a valid JWT`, meta);
    }
    throw new RealtimeError('invalid_token', `${options.what} is not valid`, meta);
  }
}
