import { asArray, invalidWebhook as invalid, isString, parseMaybeJson } from '../../core/webhookBody.js';
import type { RealtimeWebhookEvent } from '../../core/webhookEvents.js';

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


/**
 * The newest item `timestamp`: items are events Ably queues for up to 5 minutes (and keeps while
 * it retries), so the newest one is closest to when the batch was sent.
 */
export function ablyWebhookSentAt(body: unknown): number | undefined {
  const items = (body as { items?: unknown } | null)?.items;
  if (!Array.isArray(items)) return undefined;
  let newest: number | undefined;
  for (const item of items as Array<{ timestamp?: unknown } | null>) {
    const time = item && typeof item === 'object' ? item.timestamp : undefined;
    if (typeof time === 'number' && Number.isFinite(time) && (newest === undefined || time > newest)) newest = time;
  }
  return newest;
}
