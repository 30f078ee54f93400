import PusherModule from 'pusher-js';
import type * as PusherTypes from 'pusher-js';
import type * as PusherCore from 'pusher-js/types/src/core/pusher.js';
import { CONNECTION_CLOSED_EVENT, REAUTH_REQUIRED_EVENT, SYSTEM_CHANNEL, connectionChannelName, type ConnectionClosed } from '../../src/core/systemEvents.js';
import { defineChannels } from '../../src/core/channelPolicy.js';
import { RealtimeError, type RealtimeErrorCode } from '../../src/core/errors.js';
import type { Keyring } from '../../src/core/keyring.js';
import { createRealtimeFetchHandler, type RealtimeFetchHandler } from '../../src/next/fetchHandler.js';
import type { ConnectionGuard } from '../../src/server/connections/connectionGuard.js';
import type { Realtime } from '../../src/server/realtime.js';

type Pusher = PusherCore.default;
const Pusher = ((PusherModule as { default?: unknown }).default ?? PusherModule) as unknown as new (key: string, options: PusherTypes.Options) => Pusher;

/**
 * One "Next.js instance": its realtime handle, its token keyring, its connection guard, and the
 * real route handlers (createRealtimeFetchHandler, what app/api/realtime/[...path]/route.ts
 * serves) with the guard's hooks wired in. Clients reach the handlers in-process with real
 * Requests; the session is a cookie naming the user.
 */
export interface AuthInstance {
  realtime: Realtime;
  keyring: Keyring;
  guard: ConnectionGuard;
  handler: RealtimeFetchHandler;
}

export function createAuthInstance(parts: { realtime: Realtime; keyring: Keyring; guard: ConnectionGuard }): AuthInstance {
  const handler = createRealtimeFetchHandler<{ id: string }>({
    realtime: parts.realtime,
    channels: defineChannels<{ id: string }, string>({}),
    getUser: (request) => {
      const session = /(?:^|;\s*)session=([^;]+)/.exec(request.headers.get('cookie') ?? '')?.[1];
      return session ? { id: decodeURIComponent(session) } : null;
    },
    tokenSecrets: parts.keyring,
    tokenRateLimit: false,
    hooks: parts.guard.hooks,
    log: () => undefined,
  });
  return { ...parts, handler };
}

async function call(instance: AuthInstance, endpoint: string, init: RequestInit & { query?: string }) {
  const response = await instance.handler(new Request(`http://app.test/api/realtime/${endpoint}${init.query ?? ''}`, init), endpoint);
  const body = (await response.json()) as Record<string, any>;
  // A refusal, as the client library would surface it: the code from the JSON, the HTTP status.
  if (!response.ok) {
    throw new RealtimeError((body.error?.code ?? 'provider_rejected') as RealtimeErrorCode, body.error?.message ?? 'refused', { status: response.status });
  }
  return body;
}

/** GET /token with the user's session cookie. */
export async function issueToken(instance: AuthInstance, userId: string): Promise<string> {
  const body = await call(instance, 'token', { method: 'GET', headers: { cookie: `session=${encodeURIComponent(userId)}` } });
  return body.token as string;
}

const bearerForm = (token: string, fields: Record<string, string>): RequestInit => ({
  method: 'POST',
  headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields).toString(),
});

/** POST /user-auth with `Authorization: Bearer token`, as pusher-js's sign-in does. */
export async function userAuth(instance: AuthInstance, token: string, socketId: string) {
  return (await call(instance, 'user-auth', bearerForm(token, { socket_id: socketId }))) as { auth: string; user_data: string };
}

/** POST /auth with `Authorization: Bearer token`. */
export async function channelAuth(instance: AuthInstance, token: string, socketId: string, channel: string) {
  return call(instance, 'auth', bearerForm(token, { socket_id: socketId, channel_name: channel }));
}

export interface SignedInClient {
  readonly userId: string;
  readonly pusher: Pusher;
  readonly socketId: string;
  /** Every connection state pusher-js went through after the first `connected`. */
  readonly statesAfterConnected: string[];
  readonly closeCodes: number[];
  readonly closedNotices: ConnectionClosed[];
  readonly reauthNotices: unknown[];
  readonly received: Array<{ channel: string; event: string; data: unknown }>;
  /** Sign-ins Soketi confirmed (1 after connecting, 2 after a re-authentication). */
  signins: number;
  authError: Error | undefined;
  /** Connected, signed in, and subscribed to its connection channel and the system channel. */
  ready: Promise<void>;
  /** Signs in again on the open socket with a fresh token from `instance`. */
  reauthenticate(instance: AuthInstance): Promise<void>;
  subscribe(channel: string): Promise<void>;
  disconnect(): void;
  /** Destroys the TCP socket without a close frame, like a crashed browser or a dead network. */
  cut(): void;
}

export function connectSignedInClient(options: {
  host: string;
  port: number;
  key: string;
  userId: string;
  instance: AuthInstance;
  timeoutMs?: number;
  /** Public channels to join as part of becoming ready. */
  channels?: readonly string[];
  /** False: behave like a client that does not join its connection channel (default true). */
  joinConnectionChannel?: boolean;
}): SignedInClient {
  const { userId, instance } = options;
  let token: string | undefined;
  const pusher = new Pusher(options.key, {
    cluster: 'local',
    wsHost: options.host,
    wsPort: options.port,
    forceTLS: false,
    enabledTransports: ['ws'],
    disableStats: true,
    // Tests count every disconnect; pusher-js's own activity pings are not what is tested here.
    activityTimeout: 120_000,
    channelAuthorization: {
      transport: 'ajax',
      endpoint: '',
      customHandler: ({ socketId, channelName }: { socketId: string; channelName: string }, callback: (error: Error | null, data: any) => void) => {
        channelAuth(instance, token!, socketId, channelName).then((auth) => callback(null, auth), (error: Error) => callback(error, null));
      },
    },
    userAuthentication: {
      transport: 'ajax',
      endpoint: '',
      customHandler: ({ socketId }: { socketId: string }, callback: (error: Error | null, data: any) => void) => {
        issueToken(instance, userId)
          .then((fresh) => {
            token = fresh;
            return userAuth(instance, fresh, socketId);
          })
          .then(
            (auth) => callback(null, auth),
            (error: Error) => {
              client.authError = error;
              rejectReady(error);
              callback(error, null);
            },
          );
      },
    },
  } as PusherTypes.Options);

  let everConnected = false;
  let resolveSignin: (() => void) | undefined;
  let rejectReady: (error: Error) => void = () => {};
  const client: SignedInClient = {
    userId,
    pusher,
    get socketId() {
      return pusher.connection.socket_id;
    },
    statesAfterConnected: [],
    closeCodes: [],
    closedNotices: [],
    reauthNotices: [],
    received: [],
    signins: 0,
    authError: undefined,
    ready: undefined as unknown as Promise<void>,
    async reauthenticate(from) {
      const fresh = await issueToken(from, userId);
      const auth = await userAuth(from, fresh, pusher.connection.socket_id);
      token = fresh;
      const confirmed = new Promise<void>((resolve) => (resolveSignin = resolve));
      pusher.send_event('pusher:signin', auth);
      await confirmed;
    },
    subscribe(channel) {
      return new Promise((resolve, reject) => {
        const subscription = pusher.subscribe(channel);
        subscription.bind('pusher:subscription_succeeded', () => resolve());
        subscription.bind('pusher:subscription_error', (error: unknown) => reject(new Error(`subscription to ${channel} failed: ${JSON.stringify(error)}`)));
      });
    },
    disconnect: () => pusher.disconnect(),
    cut() {
      // pusher-js in Node runs on faye-websocket, whose client keeps the net.Socket in `_stream`.
      const socket = (pusher.connection as unknown as { connection?: { transport?: { socket?: { _stream?: { destroy(): void } } } } })
        .connection?.transport?.socket;
      if (!socket?._stream) throw new Error('no open TCP socket to cut');
      pusher.connection.unbind_all();
      pusher.unbind_all();
      socket._stream.destroy();
      // Stop pusher-js from reconnecting: the "browser" is gone.
      pusher.disconnect();
    },
  };

  pusher.connection.bind('state_change', ({ current }: { current: string }) => {
    if (current === 'connected') everConnected = true;
    else if (everConnected) client.statesAfterConnected.push(current);
  });
  pusher.connection.bind('error', (error: { data?: { code?: number }; error?: { data?: { code?: number } } }) => {
    const code = error?.data?.code ?? error?.error?.data?.code;
    if (typeof code === 'number' && !client.closeCodes.includes(code)) client.closeCodes.push(code);
  });
  pusher.connection.bind('message', (message: { event: string; channel?: string; data: unknown }) => {
    if (message.event === 'pusher:signin_success') {
      client.signins += 1;
      resolveSignin?.();
      resolveSignin = undefined;
    } else if (message.event === CONNECTION_CLOSED_EVENT) {
      client.closedNotices.push((typeof message.data === 'string' ? JSON.parse(message.data) : message.data) as ConnectionClosed);
    }
  });

  const timeoutMs = options.timeoutMs ?? 15_000;
  client.ready = new Promise<void>((resolve, reject) => {
    rejectReady = reject;
    const timer = setTimeout(() => reject(new Error(`client of ${userId} not ready within ${timeoutMs} ms (state ${pusher.connection.state}, socket ${pusher.connection.socket_id}, signins ${client.signins}, auth error ${client.authError?.message})`)), timeoutMs);
    const signedIn = new Promise<void>((done) => (resolveSignin = done));
    signedIn
      .then(async () => {
        const system = client.subscribe(SYSTEM_CHANNEL);
        pusher.channel(SYSTEM_CHANNEL).bind(REAUTH_REQUIRED_EVENT, (data: unknown) => client.reauthNotices.push(data));
        const extra = (options.channels ?? []).map((channel) => client.subscribe(channel));
        const connection = options.joinConnectionChannel === false ? Promise.resolve() : client.subscribe(await connectionChannelName(userId));
        await Promise.all([connection, system, ...extra]);
      })
      .then(
        () => {
          clearTimeout(timer);
          resolve();
        },
        (error: Error) => {
          clearTimeout(timer);
          reject(error);
        },
      );
  });
  client.ready.catch(() => undefined);
  pusher.bind_global((event: string, data: unknown) => {
    if (!event.startsWith('pusher:') && !event.startsWith('pusher_internal:')) client.received.push({ channel: '', event, data });
  });
  pusher.signin();
  return client;
}
