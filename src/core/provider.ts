import type { ProviderName } from './errors.js';
import type { ProviderLimits } from './limits.js';
import type { ConnectionClosed } from './systemEvents.js';

/**
 * The two SDK interfaces every provider implements: its delivery part for servers (publish,
 * terminate, presence queries) and its transport for browsers (subscribe). Signing, token issuing
 * and webhooks are the provider's SDK-free auth part (core/providerParts.ts). `src/server` and
 * `src/client` talk only to these; each provider's SDK is imported only inside its own folder.
 */

/** One event, validated and encoded once by the caller before any provider sees it. */
export interface OutgoingEvent {
  channels: readonly string[];
  event: string;
  /** The caller's value (encrypted channels encrypt this, not the JSON text). */
  data: unknown;
  /** `data` encoded as JSON; its UTF-8 size has already been checked against the limits. */
  json: string;
  /** Excluded from delivery: the publishing client's own connection. */
  socketId?: string | undefined;
}

/** Pusher-protocol channel authorization (also what the memory provider checks). */
export interface ChannelAuthorization {
  auth: string;
  channel_data?: string;
  shared_secret?: string;
}

export interface UserAuthentication {
  auth: string;
  user_data: string;
}

/** A `pusher:signin` and the socket it was signed for (it is valid for that socket only). */
export interface SocketSignIn extends UserAuthentication {
  socketId: string;
}

export interface PresenceMember {
  id: string;
  info?: Record<string, unknown>;
}

/** One channel the policy allowed for a user, as a token must grant it. */
export interface ChannelGrant {
  channel: string;
  /** Presence channels: who the user is there. */
  member?: PresenceMember | undefined;
}

export interface ClientToken {
  token: string;
  /** Unix milliseconds. */
  expiresAt: number;
  /** The id of the key that signed it (Ably key name), when the provider knows it. */
  kid?: string | undefined;
  /** The sign-in of the connection the token was asked for with `signIn` (Pusher protocol), if the server gave one. */
  userAuthentication?: SocketSignIn | undefined;
}

/** A provider's delivery part: loaded lazily (registry/delivery.ts), the only part that needs its SDK. */
export interface ServerProvider {
  readonly name: ProviderName;
  readonly limits: ProviderLimits;
  publish(event: OutgoingEvent): Promise<void>;
  /** Every event names exactly one channel; the batch is within `limits.maxBatchSize`. */
  publishBatch(events: readonly OutgoingEvent[]): Promise<void>;
  /**
   * The same request as publishBatch, answering with one outcome per event (`undefined` =
   * accepted), where the provider's batch API reports per event (Ably answers per channel and may
   * accept part of a batch). Without it a batch is all or nothing (Pusher, Soketi), and the
   * publish batcher (src/server/publishBatcher.ts) retries a refused batch event by event.
   */
  publishEach?(events: readonly OutgoingEvent[]): Promise<ReadonlyArray<Error | undefined>>;
  /**
   * Closes every live connection of a user (Pusher user authentication / Ably clientId). With a
   * `reason`, the user's connections are first sent CONNECTION_CLOSED_EVENT (core/systemEvents.ts)
   * where the provider can address a user, so the client can tell a rotation from a logout.
   */
  terminateUserConnections(userId: string, reason?: ConnectionClosed): Promise<void>;
  /**
   * Ids of the members currently present on a presence channel, straight from the provider
   * (Pusher protocol: `GET /channels/:name/users`). Used to tell live connections from stale
   * records (src/server/connections). Absent where the provider cannot list members.
   */
  presenceMemberIds?(channel: string): Promise<string[]>;
  /** Releases sockets and timers. */
  close(): Promise<void>;
}

/**
 * Connection states, the same on every provider. `auth_failed` is set by src/client only (the
 * token endpoint or user authentication answered 401/403: the user must log in again).
 */
export type ConnectionState =
  | 'idle'
  | 'connecting'
  | 'connected'
  | 'reconnecting'
  | 'disconnected'
  | 'failed'
  | 'auth_failed';

export interface IncomingEvent {
  channel: string;
  event: string;
  data: unknown;
  /** User id of the sender for client events on presence channels, when the provider says. */
  userId?: string | undefined;
}

export interface TransportChannelCallbacks {
  onEvent(event: IncomingEvent): void;
  onSubscribed(): void;
  onError(error: Error): void;
  onMemberAdded?(member: PresenceMember): void;
  onMemberRemoved?(member: PresenceMember): void;
}

/**
 * How a transport gets a signature for a private or presence channel. `token` is the client's
 * current credential (see TokenFetcher), sent as `Authorization: Bearer` by the default HTTP
 * authorizer; transports never set it, `src/client` adds it.
 */
export type ChannelAuthorizer = (request: { socketId: string; channel: string; token?: string | undefined }) => Promise<ChannelAuthorization>;
export type UserAuthenticator = (request: { socketId: string; token?: string | undefined }) => Promise<UserAuthentication>;
/**
 * Fetches a fresh credential (from `/api/realtime/token` or the app's `getCredentials()`).
 * Called before every connect and reconnect; `channels` are the channels the client wants, so a
 * token-based provider can be granted exactly those.
 */
export type TokenFetcher = (request: {
  channels: readonly string[];
  /** Set when the token is for re-authenticating a live connection (rotation records it). */
  socketId?: string | undefined;
  /**
   * Without a session, an anonymous token is welcome (a visitor on public channels; the token
   * endpoint's `anonymous=1`). Unset: no session must fail (401).
   */
  anonymous?: boolean | undefined;
  /**
   * With `socketId`: the connection re-authenticates, so answer its sign-in as well
   * (`ClientToken.userAuthentication`, Pusher protocol). A fetcher that ignores it is fine: the
   * client then signs in with a separate request.
   */
  signIn?: boolean | undefined;
}) => Promise<ClientToken>;

/** What `src/client` hands every transport factory. */
export interface TransportAuth {
  authorizeChannel: ChannelAuthorizer;
  authenticateUser: UserAuthenticator | undefined;
  fetchToken: TokenFetcher | undefined;
}

/**
 * A provider's browser side: one connection, channels by name. Reference counting, handler
 * fan-out, credentials and reconnect policy live in `src/client`, once, for every provider.
 */
export interface ClientTransport {
  readonly socketId: string | undefined;
  /**
   * Token-identified transports (Ably: the token's clientId): the user this connection is
   * authenticated as, once connected. src/client then signs the connection in by fetching a token
   * for its socket id (connection limits, rotation) and joins the user's connection channel.
   */
  readonly userId?: string | undefined;
  /**
   * The id the server records this connection under (connection limits, rotation), when it is not
   * `socketId`. Ably: the connectionId, which presence members carry (set by Ably, not by the
   * client) and which survives a resume, unlike the connection key.
   */
  readonly connectionId?: string | undefined;
  /** Opens one connection. Called by src/client after it fetched a fresh token. */
  connect(): void;
  /** Closes the connection and stops the SDK's own retrying; events after this are ignored. */
  disconnect(): void;
  /**
   * State changes as src/client reads them (it owns reconnecting; a transport never retries):
   * `connecting`; `connected`; `reconnecting` = the connection was lost or this attempt failed
   * and the SDK was stopped, the client will connect() again after a jittered backoff;
   * `disconnected` with an error = the server closed it deliberately (logout), stay closed;
   * `failed` = no retry can help (configuration; a 401/403 error becomes `auth_failed`).
   */
  onStateChange(listener: (state: ConnectionState, error?: Error) => void): () => void;
  subscribe(channel: string, callbacks: TransportChannelCallbacks): void;
  unsubscribe(channel: string): void;
  /** Client events (whispers) on private and presence channels. */
  trigger(channel: string, event: string, data: unknown): void;
  /** Current presence members, once subscribed. */
  members(channel: string): PresenceMember[];
  /**
   * Re-authenticates the open connection with fresh credentials without dropping it or its
   * subscriptions (Ably `auth.authorize()`; Pusher protocol: sign in again, re-authorise
   * private channels). Used when the server announces a secret rotation.
   */
  reauthenticate?(options?: TransportReauthOptions): Promise<void>;
}

export interface TransportReauthOptions {
  /**
   * Pusher protocol: whether private and presence channels are authorised again (the policy
   * re-checked; a refused channel is left). Default true. A rotation of the token key passes
   * false for a connection that signs in: the sign-in with the new token is what the server
   * counts, and the channel signatures do not depend on the rotated key, so re-checking every
   * channel would only double the requests the whole fleet sends within the deadline.
   */
  recheckChannels?: boolean;
}
