import { timingSafeEqual } from '../core/crypto.js';
import { RealtimeError, type ProviderName } from '../core/errors.js';
import type { KeyringEntry } from '../core/keyring.js';
import type { WebhookScheme } from '../core/providerParts.js';

/**
 * The provider-agnostic half of POST /webhook: find the key the request names, check its
 * signature against every matching secret, in constant time. What the headers are called, how a
 * signature is computed and what the body means is each provider's webhook scheme (its auth
 * part, reached through the realtime config).
 *
 * Webhook keys form a list of `{ kid: key, secret }`; the same key may appear with several
 * secrets while a secret is being replaced, and every matching entry is tried.
 */
export type { RealtimeWebhookEvent } from '../core/webhookEvents.js';
export type { WebhookScheme } from '../core/providerParts.js';

export interface WebhookContext {
  provider: ProviderName;
  /** The key (`X-Pusher-Key` / `X-Ably-Key`) whose secret verified the request. */
  key: string;
  /**
   * Hex SHA-256 of the raw body: the same delivery (a provider retry, or a replay of a captured
   * request) has the same id. Record it with the effects of `onEvents` to handle each once.
   */
  deliveryId: string;
  request: Request;
}

/**
 * Checked before the body is read: a request without both headers, with a key no configured
 * entry has, or with a signature that cannot be one, is refused without buffering a byte of it.
 */
export function requireWebhookHeaders(scheme: WebhookScheme, headers: Headers, keys: readonly KeyringEntry[]): { key: string; signature: string } {
  const key = headers.get(scheme.keyHeader);
  const signature = headers.get(scheme.signatureHeader);
  if (!key || !signature) {
    throw new RealtimeError('unauthorized', `a webhook needs the ${scheme.keyHeader} and ${scheme.signatureHeader} headers`);
  }
  let known = false;
  for (const entry of keys) if (timingSafeEqual(entry.kid, key)) known = true;
  if (!known || !scheme.signaturePattern.test(signature)) throw new RealtimeError('unauthorized', 'the webhook signature does not verify');
  return { key, signature };
}

/** Checks the signature of a raw body; throws RealtimeError('unauthorized') on any mismatch. */
export async function verifyWebhookSignature(
  scheme: WebhookScheme,
  headers: Headers,
  rawBody: string,
  keys: readonly KeyringEntry[],
): Promise<string> {
  const { key, signature } = requireWebhookHeaders(scheme, headers, keys);
  let verified = false;
  // Every candidate is computed and compared, so the time taken does not say which one matched.
  for (const entry of keys) {
    if (!timingSafeEqual(entry.kid, key)) continue;
    if (await scheme.signatureMatches(entry.secret, rawBody, signature)) verified = true;
  }
  if (!verified) throw new RealtimeError('unauthorized', 'the webhook signature does not verify');
  return key;
}
