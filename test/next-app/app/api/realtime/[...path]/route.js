import { createRealtimeHandlers } from 'next-realtime/next';
import { channels, getUser, realtime, userById, webhookLog } from '../../../../lib/realtime.js';

export const dynamic = 'force-dynamic';

export const { GET, POST } = createRealtimeHandlers({
  realtime,
  channels,
  getUser,
  userFromToken: (claims) => userById(claims.sub),
  webhook: {
    onEvents(events) {
      webhookLog.push(...events);
    },
  },
});
