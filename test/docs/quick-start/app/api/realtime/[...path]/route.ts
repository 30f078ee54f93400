// app/api/realtime/[...path]/route.ts  -> /api/realtime/{auth,user-auth,token,webhook}
import { createRealtimeHandlers } from 'next-realtime/next';
import { findUser, getSession } from '@/lib/auth';
import { channels, realtime } from '@/lib/realtime';

export const { GET, POST } = createRealtimeHandlers({
  realtime,
  channels,
  getUser: async (request) => (await getSession(request))?.user ?? null,
  userFromToken: (claims) => findUser(claims.sub),
});
