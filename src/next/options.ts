import type { ChannelPolicy } from '../core/channelPolicy.js';
import type { HistoryPage } from '../core/history.js';
import type { RealtimeConfig } from '../registry/configs.js';
import type { ProviderName } from '../core/errors.js';
import type { Keyring, KeyringEntry } from '../core/keyring.js';
import type { PresenceMember, ServerProvider } from '../core/provider.js';
import type { ProviderAuth } from '../core/providerParts.js';
import type { RealtimeTokenClaims } from '../core/realtimeToken.js';
import type { RateLimiter, TokenBucketOptions } from './rateLimit.js';
import type { RealtimeWebhookEvent, WebhookContext } from './webhooks.js';

type MaybePromise<T> = T | Promise<T>;

/** What the handlers need from `createRealtime()` (a `Realtime` fits). */
export interface RealtimeLike {
  readonly provider: ProviderName;
  readonly config?: RealtimeConfig;
  /** The provider's auth part; default: the one the config chooses (`createRealtime()` has it). */
  readonly auth?: ProviderAuth;
  getProvider(): Promise<ServerProvider>;
  /** History channels (withHistory): GET /history reads through these. */
  history?(channel: string, options?: { limit?: number | undefined; after?: string | undefined; excludeSocketIds?: readonly string[] | undefined }): Promise<HistoryPage>;
  historyBounds?(channel: string): unknown;
}

/** The users the handlers deal with: anything with an id (numbers are sent as strings). */
export interface RealtimeUser {
  id: string | number;
}

/**
 * Extension points for other parts of the library (connection limits, rotation). Both are
 * awaited; a RealtimeError thrown from one is answered with its status and JSON error (for
 * example code 'too_many_connections' -> 429), and nothing is signed or issued.
 */
export interface RealtimeHooks<TUser> {
  /**
   * Before a `pusher:signin` signature is issued (POST /user-auth). `kid` is the key that verified
   * the request's bearer token, when it carried one that verifies (never an unverified header).
   */
  onUserAuthenticate?(context: { user: TUser; userId: string; socketId: string; request: Request; kid?: string | undefined }): Promise<void>;
  /**
   * After a token was created, before it is returned (GET /token). `kid` is the key that signed
   * it (REALTIME_TOKEN_SECRETS kid, or the Ably key name). Throwing withholds the token.
   */
  onTokenIssued?(context: { user: TUser; userId: string; kid: string; expiresAt: number; socketId?: string | undefined }): Promise<void>;
  /**
   * Before the channel policy (POST /auth): lets the library authorize its own channels, e.g. the
   * connection guard's per-user connection channel, whose presence member id is the socket id
   * (the policy never sees socket ids). Return `{ member }` to sign, undefined to leave the
   * decision to the policy; throw a RealtimeError to refuse.
   * GET /token on token providers (Ably) asks it too, for each requested presence channel
   * (`socketId` is '' when the request has none): a claimed channel is granted with the user as
   * member (Ably's presence identity is the clientId); a `forbidden` refusal leaves it out.
   */
  onChannelAuthorize?(context: {
    user: TUser;
    userId: string;
    socketId: string;
    channel: string;
    request: Request;
    /** As in onUserAuthenticate: a verified bearer token's key, if any. */
    kid?: string | undefined;
  }): Promise<{ member?: PresenceMember | undefined } | undefined>;
}

export interface WebhookOptions {
  /**
   * Called with the verified, normalised events of one webhook request. Throwing answers 500,
   * so the provider retries.
   */
  onEvents(events: RealtimeWebhookEvent[], context: WebhookContext): MaybePromise<void>;
  /**
   * Keys that may sign webhooks: `{ kid: <app key or Ably key name>, secret }`, or the text
   * `key:secret,key:secret`. Default: the provider's own credentials from the realtime config,
   * plus REALTIME_WEBHOOK_SECRETS when set (e.g. the old secret during a migration).
   */
  secrets?: readonly KeyringEntry[] | string;
  /** Default 1 MB. Read only after the signature headers passed (present, known key). */
  maxBodyBytes?: number;
  /**
   * How far the provider's own timestamp (Pusher `time_ms`, Ably item `timestamp`) may be from
   * this server's clock, either way; older or newer deliveries are refused with 401
   * `unauthorized`, so a captured request cannot be replayed later. Default 600 (10 minutes):
   * Pusher retries a failed webhook for 5 minutes and Ably keeps queued events for 5 minutes, so
   * the provider's own retries still arrive. `false` turns the check off.
   */
  maxAgeSeconds?: number | false;
  /**
   * Drops repeated deliveries (a retry after a lost answer, or a replay within `maxAgeSeconds`).
   * `claim` records the delivery id (hex SHA-256 of the body) atomically and returns false when
   * it was recorded already (e.g. Redis `SET key 1 NX EX 900`): the request is answered 200
   * `{ received: 0, duplicate: true }` without calling `onEvents`. When `onEvents` throws,
   * `release` (if given) forgets the id, so the provider's retry is handled.
   */
  deduplicate?: {
    claim(deliveryId: string): MaybePromise<boolean>;
    release?(deliveryId: string): MaybePromise<void>;
  };
}

interface BaseHandlersOptions<TUser extends RealtimeUser> {
  realtime: RealtimeLike;
  channels: ChannelPolicy<TUser>;
  /** The app's own session lookup (cookies, headers). Null or undefined: not signed in. */
  getUser(request: Request): MaybePromise<TUser | null | undefined>;
  /** `user_info` sent with `pusher:signin` (visible to the provider, not to other users). Default none. */
  userInfo?(user: TUser): Record<string, unknown> | undefined;
  /**
   * Keys for the library's own tokens: a Keyring, or `kid:secret,kid:secret` (first signs, all
   * verify). Default: REALTIME_TOKEN_SECRETS. Needed for GET /token on Pusher-protocol providers
   * and for bearer tokens; without it those answer an invalid_config / unauthorized error.
   */
  tokenSecrets?: Keyring | string;
  /** Lifetime of issued tokens. Default 60 s. */
  tokenTtlSeconds?: number;
  /** Per-user limit on GET /token. Default: a token bucket of 10, refilling 10 per minute. `false` disables. */
  tokenRateLimit?: RateLimiter | TokenBucketOptions | false;
  /**
   * Token providers (Ably), where a connection needs a token even for public channels: GET /token
   * without a session, when the client asks for one (`anonymous=1`, which the library client
   * sends by default), answers an anonymous token: no clientId, `subscribe` only, on the requested
   * public channels that no pattern of the policy names (a pattern's callback needs a user).
   * Never a private, presence or encrypted channel, never client events or presence. Signature
   * providers (Pusher, Soketi) need no token for public channels and answer 401 as before.
   * Default on; `false`: 401 for every request without a session.
   */
  anonymousTokens?: boolean | AnonymousTokenOptions;
  /** Enables POST /webhook. */
  webhook?: WebhookOptions;
  /** Body cap for /auth and /user-auth. Default 8 KB. */
  maxBodyBytes?: number;
  hooks?: RealtimeHooks<TUser>;
  /**
   * POST /user-auth signs visitors without a session in as a guest (`guest-<socket id>`), so a
   * server that requires user authentication (Soketi's `SOKETI_DEFAULT_APP_USER_AUTHENTICATION`,
   * Pusher's authorized connections) keeps their connection open for public channels. Guests get
   * no token, no private or presence channel, and no connection hooks. Default false.
   */
  signInGuests?: boolean;
  /** Where faults are reported (never with secrets or request bodies). Default console.error. */
  log?: (message: string) => void;
  /**
   * Copy each presence member's id into its info (`{ id, info: { name } }` is sent as
   * `user_info: { name, id }`), the shape Laravel's channel callbacks return: Laravel Echo's
   * `here` / `joining` / `leaving` receive the info only. Default false.
   */
  presenceInfoWithId?: boolean;
}

export interface AnonymousTokenOptions {
  /**
   * Limit on anonymous GET /token per client address (key `anonymous:<address>`). Default: a
   * token bucket of 60, refilling 60 per minute: at the default 60 s token lifetime that is about
   * 60 anonymous tabs behind one address. `false` disables.
   */
  rateLimit?: RateLimiter | TokenBucketOptions | false;
  /**
   * The address anonymous requests are limited by. Default: the last `X-Forwarded-For` entry
   * (the address your nearest proxy saw; Vercel sets it), else `X-Real-IP`, else one shared
   * bucket. Without a proxy that sets those headers a client can choose them: return your
   * platform's own client address here.
   */
  clientAddress?(request: Request): string | undefined;
}

interface UserFromToken<TUser> {
  /**
   * Turns a verified bearer token (sent when `getUser` finds no session) into the user the
   * policy sees, e.g. `(claims) => db.users.find(claims.sub)`; null refuses. Required when the
   * user type has more than an id (policies would otherwise see a user without its fields);
   * `() => null` turns bearer tokens off. Default when the user is just `{ id }`: `{ id: claims.sub }`.
   */
  userFromToken: (claims: RealtimeTokenClaims) => MaybePromise<TUser | null | undefined>;
}

export type RealtimeHandlersOptions<TUser extends RealtimeUser> = BaseHandlersOptions<TUser> &
  ({ id: string } extends TUser ? Partial<UserFromToken<TUser>> : UserFromToken<TUser>);

export type { PresenceMember };
