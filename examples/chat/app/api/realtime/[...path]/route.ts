import { RealtimeError, isRealtimeError } from 'next-realtime';
import { authorizeChannel } from '@/lib/channels';
import { realtime } from '@/lib/realtime';
import { currentUser } from '@/lib/session';

function errorResponse(status: number, code: string, message: string): Response {
  return Response.json({ error: { code, message } }, { status });
}

async function readForm(request: Request): Promise<Record<string, string>> {
  const type = request.headers.get('content-type') ?? '';
  if (type.includes('application/json')) return (await request.json()) as Record<string, string>;
  return Object.fromEntries(new URLSearchParams(await request.text()));
}

/** Pusher-protocol signing for private/presence channels and for `pusher:signin`. */
export async function POST(request: Request, context: { params: Promise<{ path: string[] }> }): Promise<Response> {
  const { path } = await context.params;
  const user = await currentUser();
  if (!user) return errorResponse(401, 'unauthorized', 'sign in first');
  let form: Record<string, string>;
  try {
    form = await readForm(request);
  } catch {
    return errorResponse(400, 'invalid_request', 'the body is not a form or JSON');
  }
  const socketId = form.socket_id;
  if (!socketId) return errorResponse(400, 'invalid_socket_id', 'socket_id is missing');
  try {
    const provider = await realtime().getProvider();
    switch (path.join('/')) {
      case 'auth': {
        const channel = form.channel_name ?? '';
        const allowed = authorizeChannel(user, channel);
        if (!allowed) return errorResponse(403, 'forbidden', `${user.id} may not subscribe to ${channel}`);
        if (!provider.authorizeChannel) throw new RealtimeError('not_supported', `${provider.name} does not sign channels`);
        return Response.json(await provider.authorizeChannel(socketId, channel, allowed.member));
      }
      case 'user-auth': {
        if (!provider.authenticateUser) throw new RealtimeError('not_supported', `${provider.name} does not sign users in`);
        return Response.json(await provider.authenticateUser(socketId, { id: user.id, info: { name: user.name } }));
      }
      default:
        return errorResponse(404, 'not_found', `no realtime endpoint ${path.join('/')}`);
    }
  } catch (error) {
    if (isRealtimeError(error)) return errorResponse(error.httpStatus, error.code, error.message);
    throw error;
  }
}
