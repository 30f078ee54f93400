// app/api/realtime/[...path]/route.ts
import { createRealtimeHandlers } from 'next-realtime/next';
import { findUser, getSession } from '@/lib/auth'; // your own session lookup: no auth library assumed
import { channels, realtime } from '@/lib/realtime';

export const { GET, POST } = createRealtimeHandlers({
  realtime,
  channels,
  getUser: async (request) => (await getSession(request))?.user ?? null,
  // Who a bearer-token holder is (required when your user type has more than `id`):
  userFromToken: (claims) => findUser(claims.sub),
  // Optional:
  userInfo: (user) => ({ name: user.name }), // user_info for pusher:signin
  tokenTtlSeconds: 60,
  tokenRateLimit: { capacity: 10, refillPerSecond: 10 / 60 }, // or a RateLimiter, or false
  webhook: {
    onEvents: async (events, { deliveryId }) => {
      for (const event of events) console.log(deliveryId, event.type, event.channel);
    },
    maxAgeSeconds: 600, // the provider's timestamp may be this far off; older deliveries are refused
    // deduplicate: { claim: (deliveryId) => ..., release: (deliveryId) => ... },  // drop replays
  },
  // hooks: { onUserAuthenticate, onTokenIssued },  // see Hooks below
});
