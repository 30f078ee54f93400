import { invalidWebhook as invalid, isString, parseMaybeJson } from '../../core/webhookBody.js';
import type { RealtimeWebhookEvent } from '../../core/webhookEvents.js';

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


/** `time_ms`: when Pusher (or Soketi) created the webhook; the same on its retries. */
export function pusherWebhookSentAt(body: unknown): number | undefined {
  const time = (body as { time_ms?: unknown } | null)?.time_ms;
  return typeof time === 'number' && Number.isFinite(time) ? time : undefined;
}
