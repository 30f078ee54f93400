import { hmacSha256Hex, timingSafeEqual } from '../../core/crypto.js';
import type { ProviderLimits } from '../../core/limits.js';
import type { ProviderAuthPart, SignatureAuth, WebhookScheme } from '../../core/providerParts.js';
import { authenticateUser, authorizeChannel, type PusherCredentials } from './channelAuthorization.js';
import type { PusherConfig } from './config.js';
import { pusherLimits } from './limits.js';
import { normalisePusherWebhook, pusherWebhookSentAt } from './webhooks.js';

/**
 * The Pusher protocol's SDK-free parts (Soketi reuses them): clients authenticate with
 * signatures the server computes from the app key and secret (channelAuthorization.ts, Web
 * Crypto), and webhooks carry `X-Pusher-Key` plus `X-Pusher-Signature`, the hex HMAC-SHA256 of
 * the raw body with that key's secret.
 */
export function pusherSignatureAuth(credentials: PusherCredentials): SignatureAuth {
  return {
    kind: 'signatures',
    authorizeChannel: (socketId, channel, member) => authorizeChannel(credentials, socketId, channel, member),
    authenticateUser: (socketId, user) => authenticateUser(credentials, socketId, user),
  };
}

export const pusherWebhooks: WebhookScheme = {
  keyHeader: 'x-pusher-key',
  signatureHeader: 'x-pusher-signature',
  // Hex of 32 bytes, any case.
  signaturePattern: /^[0-9a-fA-F]{64}$/,
  async signatureMatches(secret, rawBody, signature) {
    return timingSafeEqual(await hmacSha256Hex(secret, rawBody), signature.toLowerCase());
  },
  normalise: normalisePusherWebhook,
  sentAt: pusherWebhookSentAt,
};

/** The parts of every provider that speaks the Pusher protocol with an app key and secret. */
export function pusherProtocolAuthPart<TConfig extends PusherCredentials>(limits: ProviderLimits): ProviderAuthPart<TConfig> {
  return {
    limits,
    createAuth: (config) =>
      pusherSignatureAuth({ key: config.key, secret: config.secret, encryptionMasterKeyBase64: config.encryptionMasterKeyBase64 }),
    webhooks: pusherWebhooks,
    // The app's own key and secret sign its webhooks.
    defaultWebhookKeys: (config) => [{ kid: config.key, secret: config.secret }],
    secrets: (config) => (config.encryptionMasterKeyBase64 ? [config.secret, config.encryptionMasterKeyBase64] : [config.secret]),
  };
}

export const pusherAuthPart = pusherProtocolAuthPart<PusherConfig>(pusherLimits);
