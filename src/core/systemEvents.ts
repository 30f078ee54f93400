import type { UserAuthentication } from './provider.js';
import type { ProviderName } from '../registry/names.js';

/**
 * Events the library itself sends to every live connection. The `realtime:` prefix is reserved
 * (core/events.ts), so an application event can never impersonate one.
 */

/** Every client subscribes to this public channel; it carries no secrets, only instructions. */
export const SYSTEM_CHANNEL = 'realtime-system';

/** Secret rotation: re-authenticate in place before `deadline` or be closed. */
export const REAUTH_REQUIRED_EVENT = 'realtime:reauth_required';

export interface ReauthRequired {
  rotationId: string;
  /** Unix milliseconds after which connections still on the old key are closed. */
  deadline: number;
}

/** What GET /api/realtime/token answers (JSON). */
export interface TokenResponse {
  token: string;
  /** Unix milliseconds. */
  expiresAt: number;
  provider: ProviderName;
  /** An anonymous token (no session: no identity, public channels only, subscribe only). */
  anonymous?: true;
  /**
   * Asked for with `socket_id` and `sign_in=1` on a Pusher-protocol provider: the `pusher:signin`
   * of that connection (what POST /user-auth would answer), so re-authenticating a live
   * connection is one request, not two.
   */
  userAuthentication?: UserAuthentication;
}

/** GET /token query parameters, shared by the route handlers and the client. */
export const TOKEN_QUERY = {
  channel: 'channel',
  /** The live connection the token is for (rotation counts it). */
  socketId: 'socket_id',
  /** `1`: without a session, an anonymous token is welcome (token providers). */
  anonymous: 'anonymous',
  /** `1` (with `socket_id`): answer that connection's sign-in too (`userAuthentication`). */
  signIn: 'sign_in',
} as const;

/**
 * Sent to a user's own connections (Pusher-protocol send-to-user) right before the server closes
 * them, so the client can say why: Soketi/Pusher close with 4009 and a fixed message of their own.
 */
export const CONNECTION_CLOSED_EVENT = 'realtime:connection_closed';

export interface ConnectionClosed {
  reason: 'reauth_deadline_passed' | 'logout';
  /** Set when `reason` is `reauth_deadline_passed`. */
  rotationId?: string;
  message: string;
}

/**
 * Every signed-in connection joins this presence channel with its socket id as member id, so the
 * server can ask the provider which of a user's recorded connections are still alive (connection
 * limits, rotation). The name is derived from the user id by hashing, because user ids may hold
 * characters a channel name may not; the browser computes the same name with Web Crypto.
 */
export const CONNECTION_CHANNEL_PREFIX = 'presence-realtime-conn.';

export async function connectionChannelName(userId: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(userId)));
  let hex = '';
  for (const byte of digest.subarray(0, 16)) hex += byte.toString(16).padStart(2, '0');
  return CONNECTION_CHANNEL_PREFIX + hex;
}
