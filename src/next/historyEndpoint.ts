import { openToAnonymous, type ChannelDecision, type ChannelPolicy } from '../core/channelPolicy.js';
import { assertChannelName } from '../core/channels.js';
import { RealtimeError } from '../core/errors.js';
import type { HistoryPage } from '../core/history.js';
import { assertSocketId } from '../core/socketId.js';
import type { RealtimeLike, RealtimeUser } from './options.js';
import { jsonResponse } from './responses.js';

/** At most this many socket ids of the asking client (one per connection it had) per request. */
const MAX_SOCKET_IDS = 20;
const NOT_HISTORY: HistoryPage = { history: false, events: [], cursor: '0', more: false };

export interface HistoryEndpointContext<TUser extends RealtimeUser> {
  realtime: RealtimeLike;
  channels: ChannelPolicy<TUser>;
  /** The session (or bearer token) user; undefined when the request has neither. */
  optionalUser(request: Request): Promise<TUser | undefined>;
  /** The policy's verdict (the handlers wrap the app's callbacks to report their faults). */
  authorize(user: TUser, channel: string): Promise<ChannelDecision>;
}

/**
 * GET /api/realtime/history?channel=&after=&limit=&socket_id= : what a client missed on a history
 * channel (src/server/history). Guarded by the policy that guards subscribing, so whoever may not
 * subscribe may not read: private and presence channels need a user the policy allows; a public
 * channel is open unless a pattern of the policy names it (then that pattern decides, as it does
 * for tokens). A plain channel answers `{ history: false }` (nothing is stored for it).
 */
export function createHistoryEndpoint<TUser extends RealtimeUser>(context: HistoryEndpointContext<TUser>) {
  const { realtime, channels } = context;

  async function mayRead(request: Request, channel: string): Promise<void> {
    const user = await context.optionalUser(request);
    if (user === undefined) {
      if (openToAnonymous(channels, channel)) return;
      throw new RealtimeError('unauthorized', 'sign in first: no session and no bearer token');
    }
    const decision = await context.authorize(user, channel);
    if (!decision.allowed) throw new RealtimeError('forbidden', `not allowed to read the history of ${channel}`);
  }

  return async function history(request: Request): Promise<Response> {
    const query = new URL(request.url).searchParams;
    const channel = query.get('channel') ?? '';
    if (channel === '') throw new RealtimeError('invalid_channel', 'channel is missing');
    assertChannelName(channel);
    const socketIds = query.getAll('socket_id').filter((id) => id !== '');
    if (socketIds.length > MAX_SOCKET_IDS) throw new RealtimeError('invalid_socket_id', `at most ${MAX_SOCKET_IDS} socket_id values`);
    for (const socketId of socketIds) assertSocketId(socketId);
    const limitText = query.get('limit');
    const limit = limitText === null || limitText === '' ? undefined : /^\d{1,4}$/.test(limitText) ? Number(limitText) : NaN;
    if (limit !== undefined && Number.isNaN(limit)) throw new RealtimeError('invalid_payload', 'limit must be a whole number');
    const after = query.get('after') ?? undefined;
    if (!realtime.history || !realtime.historyBounds?.(channel)) return jsonResponse(NOT_HISTORY);
    await mayRead(request, channel);
    return jsonResponse(await realtime.history(channel, { limit, after: after === '' ? undefined : after, excludeSocketIds: socketIds }));
  };
}
