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
  provider: 'pusher' | 'soketi' | 'ably' | 'memory';
}
