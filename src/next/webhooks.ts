import { hmacSha256, hmacSha256Hex, timingSafeEqual, toBase64 } from '../core/crypto.js';
import { RealtimeError, type ProviderName } from '../core/errors.js';
import type { KeyringEntry } from '../core/keyring.js';

/**
 * Provider webhooks, verified and normalised into one event shape.
 *
 * - Pusher and Soketi: `X-Pusher-Key` names the app key, `X-Pusher-Signature` is the hex
 *   HMAC-SHA256 of the raw body with that key's secret.
 * - Ably (enveloped webhooks): `X-Ably-Key` names the API key (`appId.keyId`), `X-Ably-Signature`
 *   is the base64 HMAC-SHA256 of the raw body with that key's secret.
 *
 * Webhook keys form a list of `{ kid: key, secret }`; the same key may appear with several
 * secrets while a secret is being replaced, and every matching entry is tried.
 */
export type WebhookScheme = 'pusher' | 'ably';

export type RealtimeWebhookEvent =
  | { type: 'channel_occupied'; channel: string; time: number }
  | { type: 'channel_vacated'; channel: string; time: number }
  | { type: 'member_added'; channel: string; userId: string; time: number }
  | { type: 'member_removed'; channel: string; userId: string; time: number }
  | {
      type: 'client_event';
      channel: string;
      event: string;
      /** Parsed JSON when the provider sent JSON text, the raw value otherwise. */
      data: unknown;
      userId?: string | undefined;
      socketId?: string | undefined;
      time: number;
    };

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

export function webhookSchemeFor(provider: ProviderName): WebhookScheme {
  return provider === 'ably' ? 'ably' : 'pusher';
}

const SIGNATURE_HEADERS: Record<WebhookScheme, { key: string; signature: string }> = {
  pusher: { key: 'x-pusher-key', signature: 'x-pusher-signature' },
  ably: { key: 'x-ably-key', signature: 'x-ably-signature' },
};

/** What a well-formed signature looks like: hex (Pusher) or base64 (Ably) of 32 bytes. */
const SIGNATURE_SHAPE: Record<WebhookScheme, RegExp> = {
  pusher: /^[0-9a-fA-F]{64}$/,
  ably: /^[A-Za-z0-9+/]{43}=$/,
};

/**
 * Checked before the body is read: a request without both headers, with a key no configured
 * entry has, or with a signature that cannot be one, is refused without buffering a byte of it.
 * Returns the headers' values for verifyWebhookSignature.
 */
export function requireWebhookHeaders(scheme: WebhookScheme, headers: Headers, keys: readonly KeyringEntry[]): { key: string; signature: string } {
  const names = SIGNATURE_HEADERS[scheme];
  const key = headers.get(names.key);
  const signature = headers.get(names.signature);
  if (!key || !signature) {
    throw new RealtimeError('unauthorized', `a webhook needs the ${names.key} and ${names.signature} headers`);
  }
  let known = false;
  for (const entry of keys) if (timingSafeEqual(entry.kid, key)) known = true;
  if (!known || !SIGNATURE_SHAPE[scheme].test(signature)) throw new RealtimeError('unauthorized', 'the webhook signature does not verify');
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
    const expected =
      scheme === 'pusher' ? await hmacSha256Hex(entry.secret, rawBody) : toBase64(await hmacSha256(entry.secret, rawBody));
    const candidate = scheme === 'pusher' ? signature.toLowerCase() : signature;
    if (timingSafeEqual(expected, candidate)) verified = true;
  }
  if (!verified) throw new RealtimeError('unauthorized', 'the webhook signature does not verify');
  return key;
}

/**
 * When the provider created a (verified) delivery, in unix ms: Pusher's `time_ms`; for Ably the
 * newest item `timestamp` (items are events queued for up to 5 minutes, so the newest one is
 * closest to when the batch was sent). Undefined when the body carries none.
 */
export function webhookSentAt(scheme: WebhookScheme, body: unknown): number | undefined {
  const root = body as { time_ms?: unknown; items?: unknown } | null;
  if (!root || typeof root !== 'object') return undefined;
  if (scheme === 'pusher') return typeof root.time_ms === 'number' && Number.isFinite(root.time_ms) ? root.time_ms : undefined;
  if (!Array.isArray(root.items)) return undefined;
  let newest: number | undefined;
  for (const item of root.items as Array<{ timestamp?: unknown } | null>) {
    const time = item && typeof item === 'object' ? item.timestamp : undefined;
    if (typeof time === 'number' && Number.isFinite(time) && (newest === undefined || time > newest)) newest = time;
  }
  return newest;
}

function parseMaybeJson(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

const isString = (value: unknown): value is string => typeof value === 'string' && value.length > 0;
const invalid = (message: string) => new RealtimeError('invalid_payload', `webhook body: ${message}`);

/** Pusher webhook body: `{ time_ms, events: [{ name, channel, user_id?, event?, data?, socket_id? }] }`. */
export function normalisePusherWebhook(body: unknown): RealtimeWebhookEvent[] {
  const root = body as { time_ms?: unknown; events?: unknown };
  if (!root || typeof root !== 'object' || !Array.isArray(root.events)) throw invalid('expected { time_ms, events: [...] }');
  const time = typeof root.time_ms === 'number' ? root.time_ms : Date.now();
  const out: RealtimeWebhookEvent[] = [];
  for (const raw of root.events as unknown[]) {
    const event = raw as Record<string, unknown>;
    if (!event || typeof event !== 'object' || !isString(event.channel)) throw invalid('every event needs a channel');
    const channel = event.channel;
    switch (event.name) {
      case 'channel_occupied':
      case 'channel_vacated':
        out.push({ type: event.name, channel, time });
        break;
      case 'member_added':
      case 'member_removed':
        if (!isString(event.user_id)) throw invalid(`${event.name} needs a user_id`);
        out.push({ type: event.name, channel, userId: event.user_id, time });
        break;
      case 'client_event':
        if (!isString(event.event)) throw invalid('client_event needs an event name');
        out.push({
          type: 'client_event',
          channel,
          event: event.event,
          data: parseMaybeJson(event.data),
          userId: isString(event.user_id) ? event.user_id : undefined,
          socketId: isString(event.socket_id) ? event.socket_id : undefined,
          time,
        });
        break;
      default:
      // Events this library does not know yet (e.g. subscription_count, cache_miss) are skipped.
    }
  }
  return out;
}

// Ably presence actions, numeric on the wire in enveloped webhooks (string in some examples).
const ABLY_ENTER = new Set<unknown>([2, 'enter']);
const ABLY_LEAVE = new Set<unknown>([3, 'leave']);

/**
 * Ably enveloped webhook body: `{ items: [{ name, timestamp, data }] }` with names
 * `channel.lifecycle` events `channel.opened`/`channel.closed`, `presence.message`,
 * `channel.message`.
 */
export function normaliseAblyWebhook(body: unknown): RealtimeWebhookEvent[] {
  const root = body as { items?: unknown };
  if (!root || typeof root !== 'object' || !Array.isArray(root.items)) throw invalid('expected { items: [...] }');
  const out: RealtimeWebhookEvent[] = [];
  for (const raw of root.items as unknown[]) {
    const item = raw as { name?: unknown; timestamp?: unknown; data?: Record<string, unknown> };
    if (!item || typeof item !== 'object' || !item.data || typeof item.data !== 'object') throw invalid('every item needs data');
    const channel = item.data.channelId;
    if (!isString(channel)) throw invalid('every item needs data.channelId');
    const time = typeof item.timestamp === 'number' ? item.timestamp : Date.now();
    switch (item.name) {
      case 'channel.opened':
        out.push({ type: 'channel_occupied', channel, time });
        break;
      case 'channel.closed':
        out.push({ type: 'channel_vacated', channel, time });
        break;
      case 'presence.message':
        for (const presence of asArray(item.data.presence)) {
          const type = ABLY_ENTER.has(presence.action) ? 'member_added' : ABLY_LEAVE.has(presence.action) ? 'member_removed' : undefined;
          if (type && isString(presence.clientId)) {
            out.push({ type, channel, userId: presence.clientId, time: typeof presence.timestamp === 'number' ? presence.timestamp : time });
          }
        }
        break;
      case 'channel.message':
        for (const message of asArray(item.data.messages)) {
          if (!isString(message.name)) continue;
          out.push({
            type: 'client_event',
            channel,
            event: message.name,
            data: parseMaybeJson(message.data),
            userId: isString(message.clientId) ? message.clientId : undefined,
            time: typeof message.timestamp === 'number' ? message.timestamp : time,
          });
        }
        break;
      default:
    }
  }
  return out;
}

function asArray(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.filter((entry): entry is Record<string, unknown> => !!entry && typeof entry === 'object') : [];
}

/**
 * `key:secret,key:secret` -> entries. Unlike a token keyring the same key may appear twice (old
 * and new secret of one app key during a migration). Errors name the position, never a secret.
 */
export function parseWebhookKeys(text: string, variable: string): KeyringEntry[] {
  return text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part, index) => {
      const colon = part.indexOf(':');
      if (colon <= 0 || colon === part.length - 1) {
        throw new RealtimeError('invalid_config', `${variable}: entry ${index + 1} must look like "key:secret"`);
      }
      return { kid: part.slice(0, colon), secret: part.slice(colon + 1) };
    });
}
