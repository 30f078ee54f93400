import type { KeyringEntry, Keyring } from './keyring.js';
import type { ProviderLimits } from './limits.js';
import type { ChannelAuthorization, ChannelGrant, ClientToken, PresenceMember, UserAuthentication } from './provider.js';
import type { RealtimeWebhookEvent } from './webhookEvents.js';

/**
 * What every provider folder contributes besides its SDK delivery part (core/provider.ts
 * `ServerProvider`): an auth part that needs no SDK and only Web APIs, so the route handlers can
 * sign, issue and verify on every runtime without loading a provider's SDK. `src/next` and
 * `src/server` reach it through `providerParts(config)` (src/registry/providers.ts), never by
 * importing a provider folder and never by branching on a provider's name.
 */

/** Pusher-protocol clients: the server signs each private channel and each user sign-in. */
export interface SignatureAuth {
  readonly kind: 'signatures';
  authorizeChannel(socketId: string, channel: string, member?: PresenceMember): Promise<ChannelAuthorization>;
  authenticateUser(socketId: string, user: PresenceMember): Promise<UserAuthentication>;
}

export interface ClientTokenRequest {
  /**
   * The user the token identifies; undefined for an anonymous token (a visitor without a
   * session): no identity, and only public channels, subscribe only.
   */
  userId: string | undefined;
  /** Exactly what the token grants (nothing else, no wildcard wider than a grant). */
  grants: readonly ChannelGrant[];
  ttlSeconds: number;
}

/**
 * Token clients (Ably): the server issues a provider token granting exactly what the policy
 * allowed, signed with the provider's own keys. A rotation (src/server/rotation) rotates those.
 */
export interface TokenAuth {
  readonly kind: 'tokens';
  /** Every configured key (kid = key name): a rotation's keys; revocation asks each. */
  readonly keyring: Keyring;
  /** Which key signs now: `keyring` until a rotation's keyring takes over (useSigningKeyring). */
  readonly signingKeyring: Keyring;
  /** Signs with `keyring.current` from now on, on this instance (every key must be configured). */
  useSigningKeyring(keyring: Keyring): void;
  issueClientToken(request: ClientTokenRequest): Promise<ClientToken & { kid: string }>;
}

export type ProviderAuth = SignatureAuth | TokenAuth;

/** How a provider signs its webhooks, and what their bodies mean. */
export interface WebhookScheme {
  /** The header naming the key (app key, Ably key name) whose secret signed the body. */
  readonly keyHeader: string;
  readonly signatureHeader: string;
  /** What a well-formed signature looks like: checked with the headers, before the body is read. */
  readonly signaturePattern: RegExp;
  /** Whether `signature` is this scheme's signature of `rawBody` with `secret` (constant time). */
  signatureMatches(secret: string, rawBody: string, signature: string): Promise<boolean>;
  /** The verified body as normalised events; throws RealtimeError('invalid_payload') when malformed. */
  normalise(body: unknown): RealtimeWebhookEvent[];
  /** When the provider sent the (verified) body, unix ms, from its own timestamp; undefined if none. */
  sentAt(body: unknown): number | undefined;
}

/** One provider's SDK-free parts, as its folder's auth.ts exports them. */
export interface ProviderAuthPart<TConfig, TAuth extends ProviderAuth = ProviderAuth> {
  /** Default limits; the config may lower or raise `maxPayloadBytes`. */
  readonly limits: ProviderLimits;
  createAuth(config: TConfig): TAuth;
  readonly webhooks: WebhookScheme;
  /** The keys that sign this provider's webhooks by default (its own credentials). */
  defaultWebhookKeys(config: TConfig): KeyringEntry[];
  /** The config's secrets: never written to a log line, even verbatim inside an app's own error. */
  secrets(config: TConfig): string[];
}

/** One provider's parts for one config: what `providerParts(config)` returns. */
export interface ProviderParts {
  readonly limits: ProviderLimits;
  readonly auth: ProviderAuth;
  readonly webhooks: WebhookScheme;
  readonly defaultWebhookKeys: readonly KeyringEntry[];
  readonly secrets: readonly string[];
}
