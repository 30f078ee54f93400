import { createRealtimeHandlers, type RealtimeHandlers } from 'next-realtime/next';
import { channels } from '@/lib/channels';
import { connectionControl, realtime } from '@/lib/realtime';
import { userFromRequest, type SessionUser } from '@/lib/session';

// POST /api/realtime/auth, POST /api/realtime/user-auth, GET /api/realtime/token,
// POST /api/realtime/webhook. Created on first request rather than at import: `next build`
// imports this module, and the build need not have the realtime secrets.
let handlers: RealtimeHandlers | undefined;
function realtimeHandlers(): RealtimeHandlers {
  handlers ??= createRealtimeHandlers<SessionUser>({
    realtime: realtime(),
    channels,
    getUser: (request) => userFromRequest(request),
    // The browser always has the session cookie; a bearer token alone (say, from a tab whose
    // user logged out elsewhere) must not keep a connection alive, so tokens are not a login.
    userFromToken: () => null,
    // Sent with pusher:signin, so the provider knows whose connections terminateUser() closes.
    userInfo: (user) => ({ name: user.name }),
    // Visitors without a session may listen to public channels; with Soketi's user
    // authentication on, they must sign in (as guests) or be closed after its timeout.
    signInGuests: true,
    // Connection limit per user, and tokens signed by the key a secret rotation says.
    tokenSecrets: connectionControl().keyring,
    hooks: connectionControl().hooks,
  });
  return handlers;
}

export const GET: RealtimeHandlers['GET'] = (request, context) => realtimeHandlers().GET(request, context);
export const POST: RealtimeHandlers['POST'] = (request, context) => realtimeHandlers().POST(request, context);
