import { hmacSha256, toBase64 } from '../../core/crypto.js';
import { RealtimeError } from '../../core/errors.js';
import { signJwt, verifyJwt } from '../../core/jwt.js';
import type { Keyring, KeyringEntry } from '../../core/keyring.js';
import { PRESENCE_CLAIM, type AblyCapability } from './channels.js';

/**
 * Ably credentials for browsers, made with Web Crypto (core/jwt.ts and core/crypto.ts), so they can
 * be issued from Node.js and the Edge runtime alike. Two forms:
 *  - an Ably JWT (what the transport uses): HS256 signed with the key secret, `kid` = key name;
 *  - an Ably TokenRequest: signed parameters the client exchanges for an Ably token at Ably.
 */

/** Ably's cap on token lifetime. */
export const MAX_TOKEN_TTL_SECONDS = 24 * 60 * 60;
// Lives in channels.ts so the browser transport can read it without pulling jose into its bundle.
export { PRESENCE_CLAIM } from './channels.js';

/** `appId.keyId:secret` keys as a keyring (the one parser of that form lives in core/keyring.ts). */
export { keyringFromAblyKeys as ablyKeyring } from '../../core/keyring.js';

function checkTtl(ttlSeconds: number): void {
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > MAX_TOKEN_TTL_SECONDS) {
    throw new RealtimeError('invalid_payload', `token ttl must be 1-${MAX_TOKEN_TTL_SECONDS} whole seconds, got ${ttlSeconds}`, { provider: 'ably' });
  }
}

export interface AblyJwtRequest {
  /** Undefined: an anonymous token (no `x-ably-clientId`: the connection has no identity). */
  clientId: string | undefined;
  capability: AblyCapability;
  ttlSeconds: number;
  /** Presence channel -> member info, for the transport to enter with. */
  presence?: Record<string, Record<string, unknown>>;
  /** Unix seconds; now by default. */
  issuedAt?: number;
}

export async function createAblyJwt(key: KeyringEntry, request: AblyJwtRequest): Promise<{ token: string; expiresAt: number }> {
  checkTtl(request.ttlSeconds);
  const claims: Record<string, unknown> = { 'x-ably-capability': JSON.stringify(request.capability) };
  if (request.clientId !== undefined) claims['x-ably-clientId'] = request.clientId;
  if (request.presence && Object.keys(request.presence).length > 0) claims[PRESENCE_CLAIM] = request.presence;
  return signJwt(key, claims, { ttlSeconds: request.ttlSeconds, ...(request.issuedAt !== undefined ? { issuedAt: request.issuedAt } : {}) });
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
  const { payload, kid } = await verifyJwt(keyring, token, { what: 'the Ably token', provider: 'ably' });
  const capabilityText = payload['x-ably-capability'];
  let capability: AblyCapability = {};
  if (typeof capabilityText === 'string') {
    try {
      capability = JSON.parse(capabilityText) as AblyCapability;
    } catch (error) {
      throw new RealtimeError('invalid_token', 'the Ably token signature or claims are invalid', { provider: 'ably', cause: error });
    }
  }
  return {
    kid,
    clientId: typeof payload['x-ably-clientId'] === 'string' ? payload['x-ably-clientId'] : undefined,
    capability,
    expiresAt: (payload.exp ?? 0) * 1000,
  };
}

/** What Ably's `requestToken` endpoint takes (and what ably-js's authCallback may return). */
export interface AblyTokenRequest {
  keyName: string;
  ttl: number;
  capability: string;
  /** Absent: an anonymous token. */
  clientId?: string;
  timestamp: number;
  nonce: string;
  mac: string;
}

export interface AblyTokenRequestParams {
  clientId: string | undefined;
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
  // Ably signs an absent clientId as the empty field.
  const text = [key.kid, ttl, capability, params.clientId ?? '', timestamp, nonce].map((field) => `${field}\n`).join('');
  const mac = toBase64(await hmacSha256(key.secret, text));
  return { keyName: key.kid, ttl, capability, ...(params.clientId === undefined ? {} : { clientId: params.clientId }), timestamp, nonce, mac };
}

function randomNonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}
