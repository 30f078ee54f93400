import { SignJWT, decodeProtectedHeader, errors as joseErrors, jwtVerify } from 'jose';
import { hmacSha256, toBase64 } from '../../core/crypto.js';
import { RealtimeError } from '../../core/errors.js';
import { createKeyring, type Keyring, type KeyringEntry } from '../../core/keyring.js';
import { PRESENCE_CLAIM, type AblyCapability } from './channels.js';

/**
 * Ably credentials for browsers, made with Web Crypto (jose and src/core/crypto.ts), so they can
 * be issued from Node.js and the Edge runtime alike. Two forms:
 *  - an Ably JWT (what the transport uses): HS256 signed with the key secret, `kid` = key name;
 *  - an Ably TokenRequest: signed parameters the client exchanges for an Ably token at Ably.
 */

/** Ably's cap on token lifetime. */
export const MAX_TOKEN_TTL_SECONDS = 24 * 60 * 60;
// Lives in channels.ts so the browser transport can read it without pulling jose into its bundle.
export { PRESENCE_CLAIM } from './channels.js';

const encoder = new TextEncoder();

/** `appId.keyId:secret` keys as a keyring: kid = key name; the first signs, all verify. */
export function ablyKeyring(apiKeys: readonly string[]): Keyring {
  return createKeyring(
    apiKeys.map((apiKey) => {
      const colon = apiKey.indexOf(':');
      return { kid: apiKey.slice(0, colon), secret: apiKey.slice(colon + 1) };
    }),
  );
}

function checkTtl(ttlSeconds: number): void {
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > MAX_TOKEN_TTL_SECONDS) {
    throw new RealtimeError('invalid_payload', `token ttl must be 1-${MAX_TOKEN_TTL_SECONDS} whole seconds, got ${ttlSeconds}`, { provider: 'ably' });
  }
}

export interface AblyJwtRequest {
  clientId: string;
  capability: AblyCapability;
  ttlSeconds: number;
  /** Presence channel -> member info, for the transport to enter with. */
  presence?: Record<string, Record<string, unknown>>;
  /** Unix seconds; now by default. */
  issuedAt?: number;
}

export async function createAblyJwt(key: KeyringEntry, request: AblyJwtRequest): Promise<{ token: string; expiresAt: number }> {
  checkTtl(request.ttlSeconds);
  const iat = request.issuedAt ?? Math.floor(Date.now() / 1000);
  const exp = iat + request.ttlSeconds;
  const claims: Record<string, unknown> = {
    'x-ably-capability': JSON.stringify(request.capability),
    'x-ably-clientId': request.clientId,
  };
  if (request.presence && Object.keys(request.presence).length > 0) claims[PRESENCE_CLAIM] = request.presence;
  const token = await new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: key.kid })
    .setIssuedAt(iat)
    // A unique id per token: two tokens are never the same text, even within one second.
    .setJti(randomNonce())
    .setExpirationTime(exp)
    .sign(encoder.encode(key.secret));
  return { token, expiresAt: exp * 1000 };
}

export interface VerifiedAblyJwt {
  kid: string;
  clientId: string | undefined;
  capability: AblyCapability;
  expiresAt: number;
}

/**
 * Verifies an Ably JWT against every key of the keyring (the one its `kid` names), e.g. when the
 * app accepts it as a bearer credential. Errors are RealtimeErrors, never a secret.
 */
export async function verifyAblyJwt(keyring: Keyring, token: string): Promise<VerifiedAblyJwt> {
  let kid: string | undefined;
  try {
    kid = decodeProtectedHeader(token).kid;
  } catch {
    throw new RealtimeError('invalid_token', 'not an Ably JWT', { provider: 'ably' });
  }
  const key = kid === undefined ? undefined : keyring.find(kid);
  if (!key) throw new RealtimeError('invalid_token', `the token's key ${JSON.stringify(kid)} is not in ABLY_API_KEY`, { provider: 'ably' });
  try {
    const { payload } = await jwtVerify(token, encoder.encode(key.secret), { algorithms: ['HS256'] });
    const capabilityText = payload['x-ably-capability'];
    return {
      kid: key.kid,
      clientId: typeof payload['x-ably-clientId'] === 'string' ? payload['x-ably-clientId'] : undefined,
      capability: typeof capabilityText === 'string' ? (JSON.parse(capabilityText) as AblyCapability) : {},
      expiresAt: (payload.exp ?? 0) * 1000,
    };
  } catch (error) {
    if (error instanceof joseErrors.JWTExpired) throw new RealtimeError('token_expired', 'the Ably token has expired', { provider: 'ably' });
    throw new RealtimeError('invalid_token', 'the Ably token signature or claims are invalid', { provider: 'ably', cause: error });
  }
}

/** What Ably's `requestToken` endpoint takes (and what ably-js's authCallback may return). */
export interface AblyTokenRequest {
  keyName: string;
  ttl: number;
  capability: string;
  clientId: string;
  timestamp: number;
  nonce: string;
  mac: string;
}

export interface AblyTokenRequestParams {
  clientId: string;
  capability: AblyCapability;
  ttlSeconds: number;
  /** Unix ms; now by default. */
  timestamp?: number;
  nonce?: string;
}

/** mac = base64 HMAC-SHA256(secret, keyName\nttl\ncapability\nclientId\ntimestamp\nnonce\n). */
export async function createAblyTokenRequest(key: KeyringEntry, params: AblyTokenRequestParams): Promise<AblyTokenRequest> {
  checkTtl(params.ttlSeconds);
  const ttl = params.ttlSeconds * 1000;
  const capability = JSON.stringify(params.capability);
  const timestamp = params.timestamp ?? Date.now();
  const nonce = params.nonce ?? randomNonce();
  const text = [key.kid, ttl, capability, params.clientId, timestamp, nonce].map((field) => `${field}\n`).join('');
  const mac = toBase64(await hmacSha256(key.secret, text));
  return { keyName: key.kid, ttl, capability, clientId: params.clientId, timestamp, nonce, mac };
}

function randomNonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}
