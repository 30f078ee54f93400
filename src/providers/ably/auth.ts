import { hmacSha256, timingSafeEqual, toBase64 } from '../../core/crypto.js';
import { RealtimeError } from '../../core/errors.js';
import { keyringFromAblyKeys, type Keyring } from '../../core/keyring.js';
import type { ClientTokenRequest, ProviderAuthPart, TokenAuth, WebhookScheme } from '../../core/providerParts.js';
import { assertUserId } from '../../core/users.js';
import type { AblyConfig } from './config.js';
import { capabilityForGrants } from './channels.js';
import { ablyLimits } from './limits.js';
import { createAblyJwt, createAblyTokenRequest, type AblyTokenRequest } from './tokens.js';
import { ablyWebhookSentAt, normaliseAblyWebhook } from './webhooks.js';

/**
 * Ably's SDK-free parts. Clients authenticate with Ably tokens this server issues (an Ably JWT,
 * HS256 with the API key's secret, `kid` = key name: tokens.ts), granting exactly what the policy
 * allowed (channels.ts). Webhooks (enveloped) carry `X-Ably-Key` (the key name) and
 * `X-Ably-Signature`, the base64 HMAC-SHA256 of the raw body with that key's secret.
 */
export interface AblyAuth extends TokenAuth {
  /** The same grants as an Ably TokenRequest, for clients that exchange it at Ably themselves. */
  createTokenRequest(request: ClientTokenRequest): Promise<AblyTokenRequest>;
}

export function createAblyAuth(config: AblyConfig): AblyAuth {
  const keyring = keyringFromAblyKeys(config.apiKeys);
  /**
   * Which key signs client tokens (and makes the REST requests, server.ts): the configured first
   * key, or what a rotation's keyring says (so nothing uses a retired key, which the operator may
   * revoke at Ably).
   */
  let signing: Keyring = keyring;
  const grantsToCapability = (request: ClientTokenRequest) => {
    if (request.userId !== undefined) assertUserId(request.userId);
    return capabilityForGrants(request.userId, request.grants);
  };
  return {
    kind: 'tokens',
    keyring,
    get signingKeyring() {
      return signing;
    },
    useSigningKeyring(rotating) {
      for (const entry of rotating.entries) {
        if (!keyring.find(entry.kid)) {
          throw new RealtimeError('invalid_config', `the signing keyring names ${JSON.stringify(entry.kid)}, which is not in ABLY_API_KEY`, { provider: 'ably' });
        }
      }
      signing = rotating;
    },
    async issueClientToken(request) {
      const { capability, presence } = grantsToCapability(request);
      const key = signing.current;
      const token = await createAblyJwt(key, { clientId: request.userId, capability, presence, ttlSeconds: request.ttlSeconds });
      return { ...token, kid: key.kid };
    },
    async createTokenRequest(request) {
      const { capability } = grantsToCapability(request);
      return createAblyTokenRequest(signing.current, { clientId: request.userId, capability, ttlSeconds: request.ttlSeconds });
    },
  };
}

export const ablyWebhooks: WebhookScheme = {
  keyHeader: 'x-ably-key',
  signatureHeader: 'x-ably-signature',
  // Base64 of 32 bytes.
  signaturePattern: /^[A-Za-z0-9+/]{43}=$/,
  async signatureMatches(secret, rawBody, signature) {
    return timingSafeEqual(toBase64(await hmacSha256(secret, rawBody)), signature);
  },
  normalise: normaliseAblyWebhook,
  sentAt: ablyWebhookSentAt,
};

export const ablyAuthPart: ProviderAuthPart<AblyConfig, AblyAuth> = {
  limits: ablyLimits,
  createAuth: createAblyAuth,
  webhooks: ablyWebhooks,
  // Every API key may sign webhooks: kid = key name, as X-Ably-Key names it.
  defaultWebhookKeys: (config) => [...keyringFromAblyKeys(config.apiKeys).entries],
  // What follows the colon of each API key.
  secrets: (config) => config.apiKeys.map((apiKey) => apiKey.slice(apiKey.indexOf(':') + 1)),
};
