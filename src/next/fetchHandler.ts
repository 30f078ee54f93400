import { openToAnonymous } from '../core/channelPolicy.js';
import { assertChannelName, channelKind } from '../core/channels.js';
import { sha256, toHex } from '../core/crypto.js';
import type { RealtimeConfig } from '../registry/configs.js';
import { isRealtimeError, RealtimeError } from '../core/errors.js';
import { BEARER_PATTERN } from '../core/jwt.js';
import { parseWebhookKeys, resolveTokenKeyring, webhookKeysFromEnv, type KeyringEntry } from '../core/keyring.js';
import type { ChannelGrant, PresenceMember, UserAuthentication } from '../core/provider.js';
import type { ProviderAuth, ProviderParts, SignatureAuth, TokenAuth } from '../core/providerParts.js';
import { DEFAULT_TOKEN_TTL_SECONDS, signRealtimeToken, verifyRealtimeToken } from '../core/realtimeToken.js';
import { redactSecrets } from '../core/redaction.js';
import { assertSocketId, PUSHER_SOCKET_ID_PATTERN } from '../core/socketId.js';
import { SYSTEM_CHANNEL, TOKEN_QUERY, type TokenResponse } from '../core/systemEvents.js';
import { assertUserId } from '../core/users.js';
import { providerParts } from '../registry/providers.js';
import type { RealtimeHandlersOptions, RealtimeUser } from './options.js';
import { createTokenBucketLimiter, type RateLimiter, type TokenBucketOptions } from './rateLimit.js';
import { createHistoryEndpoint } from './historyEndpoint.js';
import { DEFAULT_MAX_BODY_BYTES, readBodyText, readFields } from './requestBody.js';
import { withIdInInfo } from './presenceInfo.js';
import { HandlerError, errorResponse, jsonResponse, responseForError } from './responses.js';
import { requireWebhookHeaders, verifyWebhookSignature } from './webhooks.js';

/**
 * The provider-agnostic core of the route handlers: one function from a Web `Request` to a Web
 * `Response` (like tRPC's fetchRequestHandler). The Next.js adapter (nextAppRouter.ts) only
 * works out which endpoint was called. Only Web APIs are used here, so the same code runs on
 * Node.js, the Edge runtime, Workers, Deno and Bun.
 */
export type RealtimeFetchHandler = (request: Request, endpoint?: string) => Promise<Response>;

export const REALTIME_ENDPOINTS = {
  auth: 'POST',
  'user-auth': 'POST',
  token: 'GET',
  webhook: 'POST',
  history: 'GET',
} as const;
export type RealtimeEndpoint = keyof typeof REALTIME_ENDPOINTS;

const DEFAULT_WEBHOOK_MAX_BODY_BYTES = 1024 * 1024;
/** Pusher retries a failed webhook for 5 minutes, Ably keeps queued events 5 minutes: twice that. */
const DEFAULT_WEBHOOK_MAX_AGE_SECONDS = 600;
const MAX_TOKEN_CHANNELS = 100;
/** Anonymous GET /token per client address: a burst of 60, then one a second (60 tabs at the default TTL). */
const DEFAULT_ANONYMOUS_RATE_LIMIT: TokenBucketOptions = { capacity: 60, refillPerSecond: 1 };

/**
 * The default address anonymous token requests are limited by: the last `X-Forwarded-For` entry
 * (added by the nearest proxy; the entries before it are whatever the client sent), else
 * `X-Real-IP`. Undefined: all such requests share one bucket.
 */
function forwardedAddress(request: Request): string | undefined {
  const forwarded = request.headers.get('x-forwarded-for');
  const last = forwarded?.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '').at(-1);
  return last ?? (request.headers.get('x-real-ip')?.trim() || undefined);
}

/** An exception thrown by one of the app's callbacks (not a RealtimeError): a server fault. */
class CallbackFault extends Error {
  constructor(
    readonly callback: string,
    cause: unknown,
  ) {
    super(`${callback} threw ${cause instanceof Error ? `${cause.name}: ${cause.message}` : typeof cause}`);
  }
}

async function callApp<T>(callback: string, run: () => T | Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof RealtimeError || error instanceof HandlerError) throw error;
    throw new CallbackFault(callback, error);
  }
}

/**
 * A value from the environment or the provider's config: computed now and kept, or, when that
 * fails (a missing or malformed variable), computed again on each request until it succeeds. So a
 * misconfiguration is an invalid_config answer naming the variable, never an exception at import
 * time (`next build` collects page data without provider secrets).
 */
function fromEnvironment<T>(compute: () => T): () => T {
  let done = false;
  let value: T;
  const get = () => {
    if (!done) {
      value = compute();
      done = true;
    }
    return value;
  };
  try {
    get();
  } catch {
    // Reported by the first request that needs it.
  }
  return get;
}

function resolveRateLimiter(option: RateLimiter | TokenBucketOptions | false | undefined): RateLimiter | undefined {
  if (option === false) return undefined;
  if (option && 'consume' in option && typeof option.consume === 'function') return option;
  return createTokenBucketLimiter((option ?? {}) as TokenBucketOptions);
}

function resolveWebhookMaxAgeMs(option: number | false | undefined): number | undefined {
  if (option === false) return undefined;
  const seconds = option ?? DEFAULT_WEBHOOK_MAX_AGE_SECONDS;
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds <= 0) {
    throw new RealtimeError('invalid_config', 'createRealtimeHandlers: webhook.maxAgeSeconds must be a positive number of seconds, or false');
  }
  return seconds * 1000;
}

export function createRealtimeFetchHandler<TUser extends RealtimeUser>(options: RealtimeHandlersOptions<TUser>): RealtimeFetchHandler {
  const { realtime, channels } = options;
  if (!realtime || typeof realtime.getProvider !== 'function') {
    throw new RealtimeError('invalid_config', 'createRealtimeHandlers: `realtime` must be the result of createRealtime()');
  }
  if (!channels || typeof channels.authorize !== 'function') {
    throw new RealtimeError('invalid_config', 'createRealtimeHandlers: `channels` must be the result of defineChannels()');
  }
  if (typeof options.getUser !== 'function') {
    throw new RealtimeError('invalid_config', 'createRealtimeHandlers: `getUser(request)` is required (your session lookup)');
  }
  const sink = options.log ?? ((message: string) => console.error(message));
  // Every line goes through redaction with the secrets this handler knows (see knownSecrets).
  const log = (message: string) => sink(redactSecrets(message, knownSecrets()));
  const webhookMaxAgeMs = resolveWebhookMaxAgeMs(options.webhook?.maxAgeSeconds);
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const tokenTtlSeconds = options.tokenTtlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS;
  const rateLimiter = resolveRateLimiter(options.tokenRateLimit);
  const anonymousOptions = options.anonymousTokens === false ? undefined : options.anonymousTokens === true ? {} : options.anonymousTokens ?? {};
  const anonymousRateLimiter = anonymousOptions ? resolveRateLimiter(anonymousOptions.rateLimit ?? DEFAULT_ANONYMOUS_RATE_LIMIT) : undefined;
  const clientAddress = anonymousOptions?.clientAddress ?? forwardedAddress;
  // What the app passes in code is checked now (a programming error); what comes from the
  // environment and the provider's config on first use (see fromEnvironment).
  const explicitKeyring = options.tokenSecrets === undefined ? undefined : resolveTokenKeyring(options.tokenSecrets);
  const tokenKeyring = fromEnvironment(() => explicitKeyring ?? resolveTokenKeyring(undefined));
  const webhookSecrets = options.webhook?.secrets;
  const explicitWebhookKeys =
    webhookSecrets === undefined ? [] : typeof webhookSecrets === 'string' ? parseWebhookKeys(webhookSecrets, 'webhook.secrets') : [...webhookSecrets];
  const config = fromEnvironment((): RealtimeConfig | undefined => realtime.config);
  const parts = fromEnvironment((): ProviderParts => {
    const current = config();
    if (!current) throw new RealtimeError('invalid_config', 'createRealtimeHandlers: `realtime` has no config; pass the result of createRealtime()');
    return providerParts(current);
  });
  const auth = fromEnvironment((): ProviderAuth => realtime.auth ?? parts().auth);
  /** Explicit keys first, then REALTIME_WEBHOOK_SECRETS, then the provider's own credentials. */
  const webhookKeys = fromEnvironment((): KeyringEntry[] => {
    const keys = [...explicitWebhookKeys, ...webhookKeysFromEnv(), ...parts().defaultWebhookKeys];
    if (keys.length === 0) {
      throw new RealtimeError(
        'invalid_config',
        'createRealtimeHandlers: webhooks are enabled but no key can verify them (set webhook.secrets or REALTIME_WEBHOOK_SECRETS)',
      );
    }
    return keys;
  });

  /** Secrets that must never appear in a log line, even verbatim inside an app's own error. */
  function knownSecrets(): string[] {
    const secrets: string[] = [];
    // Each source may be misconfigured (that is reported elsewhere): take what can be read.
    const add = (read: () => readonly string[]) => {
      try {
        secrets.push(...read());
      } catch {
        // Nothing to add.
      }
    };
    add(() => parts().secrets);
    add(() => (tokenKeyring()?.entries ?? []).map((entry) => entry.secret));
    add(() => (options.webhook ? webhookKeys().map((entry) => entry.secret) : []));
    return secrets;
  }

  interface Identified {
    user: TUser;
    userId: string;
    /** The key that verified the request's bearer token, if it carried one that verifies. */
    kid?: string | undefined;
  }

  function identified(user: TUser, source: string, kid?: string): Identified {
    const id = typeof user.id === 'number' ? String(user.id) : user.id;
    try {
      assertUserId(id);
    } catch {
      throw new RealtimeError('invalid_config', `${source} returned a user without a valid id (1-200 printable characters)`);
    }
    return kid === undefined ? { user, userId: id } : { user, userId: id, kid };
  }

  /**
   * The session user, or (where allowed) the user of a valid bearer token; else 401. The kid that
   * travels on (to the hooks: connection limits, rotation) is only ever a verified token's.
   */
  async function currentUser(request: Request, allowBearer: boolean): Promise<Identified> {
    const authorization = request.headers.get('authorization');
    const user = await callApp('getUser', () => options.getUser(request));
    if (user) return identified(user, 'getUser', allowBearer ? await verifiedKidAlongsideSession(authorization) : undefined);
    if (allowBearer && authorization !== null) {
      const match = BEARER_PATTERN.exec(authorization);
      if (!match) throw new RealtimeError('invalid_token', 'the Authorization header must be "Bearer <token>"');
      const keyring = tokenKeyring();
      if (!keyring) throw new RealtimeError('unauthorized', 'bearer tokens are not enabled on this server');
      const claims = await verifyRealtimeToken(keyring, match[1]!);
      const fromToken = options.userFromToken
        ? await callApp('userFromToken', () => options.userFromToken!(claims))
        : ({ id: claims.sub } as TUser);
      if (!fromToken) throw new RealtimeError('unauthorized', 'the user of this token no longer exists');
      return identified(fromToken, 'userFromToken', claims.kid);
    }
    throw new RealtimeError('unauthorized', 'sign in first: no session and no bearer token');
  }

  /**
   * A client with a session sends its token too. The session authenticates; the token only says
   * which key the client holds (a rotation counts it), and only once it verifies.
   */
  async function verifiedKidAlongsideSession(authorization: string | null): Promise<string | undefined> {
    const token = authorization === null ? undefined : BEARER_PATTERN.exec(authorization)?.[1];
    const keyring = token === undefined ? undefined : tokenKeyring();
    if (!token || !keyring) return undefined;
    try {
      return (await verifyRealtimeToken(keyring, token)).kid;
    } catch {
      return undefined;
    }
  }

  function requireSocketId(value: string | undefined): string {
    if (value === undefined || value === '') throw new RealtimeError('invalid_socket_id', 'socket_id is missing');
    assertSocketId(value, PUSHER_SOCKET_ID_PATTERN);
    return value;
  }

  function requirePrivateChannel(value: string | undefined): string {
    if (value === undefined || value === '') throw new RealtimeError('invalid_channel', 'channel_name is missing');
    assertChannelName(value);
    if (channelKind(value) === 'public') {
      throw new RealtimeError('invalid_channel', `${value} is a public channel: subscribe without authorization`);
    }
    return value;
  }

  function signatureAuth(refusal: string): SignatureAuth {
    const current = auth();
    if (current.kind !== 'signatures') throw new RealtimeError('not_supported', refusal);
    return current;
  }

  async function channelAuth(request: Request): Promise<Response> {
    const fields = await readFields(request, maxBodyBytes);
    const socketId = requireSocketId(fields.socket_id);
    const channel = requirePrivateChannel(fields.channel_name);
    const { user, userId, kid } = await currentUser(request, true);
    const claimed = options.hooks?.onChannelAuthorize
      ? await callApp('hooks.onChannelAuthorize', () => options.hooks!.onChannelAuthorize!({ user, userId, socketId, channel, request, kid }))
      : undefined;
    const decision = claimed
      ? { allowed: true as const, member: claimed.member }
      : await callApp('channel policy', () => channels.authorize(user, channel));
    if (!decision.allowed) {
      throw new RealtimeError(
        'forbidden',
        decision.reason === 'no_matching_pattern' ? `no channel pattern allows ${channel}` : `not allowed to subscribe to ${channel}`,
      );
    }
    const signer = signatureAuth(`the ${realtime.provider} provider authorizes channels with tokens: use GET /token`);
    const member = options.presenceInfoWithId ? withIdInInfo(decision.member) : decision.member;
    return jsonResponse(await signer.authorizeChannel(socketId, channel, member));
  }

  async function userAuth(request: Request): Promise<Response> {
    const fields = await readFields(request, maxBodyBytes);
    const socketId = requireSocketId(fields.socket_id);
    const identified = await currentUser(request, true).catch((error: unknown) => {
      if (options.signInGuests && isRealtimeError(error, 'unauthorized')) return undefined;
      throw error;
    });
    const signer = signatureAuth(`the ${realtime.provider} provider has no user sign-in: use GET /token`);
    if (!identified) return jsonResponse(await signer.authenticateUser(socketId, { id: `guest-${socketId}` }));
    return jsonResponse(await signIn(signer, identified, socketId, request));
  }

  /**
   * A connection's `pusher:signin`, for /user-auth and for a token request that asks for it: the
   * sign-in hook (connection limits, rotation) decides, then the user is signed for the socket.
   */
  async function signIn(signer: SignatureAuth, { user, userId, kid }: Identified, socketId: string, request: Request): Promise<UserAuthentication> {
    if (options.hooks?.onUserAuthenticate) {
      await callApp('hooks.onUserAuthenticate', () => options.hooks!.onUserAuthenticate!({ user, userId, socketId, request, kid }));
    }
    const info = options.userInfo ? await callApp('userInfo', () => options.userInfo!(user)) : undefined;
    return signer.authenticateUser(socketId, info ? { id: userId, info } : { id: userId });
  }

  async function token(request: Request): Promise<Response> {
    const query = new URL(request.url).searchParams;
    const requested = query.getAll(TOKEN_QUERY.channel);
    if (requested.length > MAX_TOKEN_CHANNELS) {
      throw new RealtimeError('too_many_channels', `a token can name at most ${MAX_TOKEN_CHANNELS} channels`);
    }
    for (const channel of requested) assertChannelName(channel);
    const socketIdParam = query.get(TOKEN_QUERY.socketId);
    const socketId = socketIdParam === null || socketIdParam === '' ? undefined : socketIdParam;
    if (socketId !== undefined) assertSocketId(socketId);
    const current = auth();
    // A token never mints another token: only a real session may ask for one. Without one, a
    // token provider's client that asks gets an anonymous token (public channels, subscribe only).
    const signedIn = await currentUser(request, false).catch((error: unknown) => {
      const anonymous = anonymousOptions && current.kind === 'tokens' && query.get(TOKEN_QUERY.anonymous) === '1';
      if (anonymous && isRealtimeError(error, 'unauthorized')) return undefined;
      throw error;
    });
    if (!signedIn) {
      if (current.kind !== 'tokens') throw new RealtimeError('unauthorized', 'sign in first: no session');
      const address = await callApp('anonymousTokens.clientAddress', () => clientAddress(request));
      await limitTokenRequests(anonymousRateLimiter, `anonymous:${address || 'unknown'}`);
      return anonymousToken(current, requested);
    }
    const { user, userId } = signedIn;
    await limitTokenRequests(rateLimiter, userId);
    let issued: { token: string; expiresAt: number; kid: string };
    if (current.kind === 'tokens') {
      const grants: ChannelGrant[] = [];
      for (const channel of new Set([...requested, SYSTEM_CHANNEL])) {
        // A channel the hooks own (the user's connection channel, for connection control) is
        // granted by them, not by the app's policy. On a token provider the presence identity is
        // the user (Ably clientId); Ably itself tells connections apart (member connectionId).
        if (options.hooks?.onChannelAuthorize && channel.startsWith('presence-')) {
          let claimed: { member?: PresenceMember | undefined } | undefined;
          try {
            claimed = await callApp('hooks.onChannelAuthorize', () =>
              options.hooks!.onChannelAuthorize!({ user, userId, socketId: socketId ?? '', channel, request }),
            );
          } catch (error) {
            // Someone else's connection channel: a token only lists what is allowed.
            if (isRealtimeError(error, 'forbidden')) continue;
            throw error;
          }
          if (claimed) {
            grants.push({ channel, member: { id: userId } });
            continue;
          }
        }
        const decision = await callApp('channel policy', () => channels.authorize(user, channel));
        if (decision.allowed) grants.push(decision.member ? { channel, member: decision.member } : { channel });
      }
      issued = await current.issueClientToken({ userId, grants, ttlSeconds: tokenTtlSeconds });
    } else {
      const keyring = tokenKeyring();
      if (!keyring) {
        throw new RealtimeError(
          'invalid_config',
          'REALTIME_TOKEN_SECRETS is not set: set it to "kid:secret" (or pass tokenSecrets to createRealtimeHandlers) to issue tokens',
        );
      }
      issued = await signRealtimeToken(keyring, userId, { ttlSeconds: tokenTtlSeconds });
    }
    // A live connection re-authenticating (a rotation) asks for its sign-in here, with the new
    // token's key: one request per connection instead of this one and then POST /user-auth.
    const userAuthentication =
      socketId !== undefined && query.get(TOKEN_QUERY.signIn) === '1' && current.kind === 'signatures'
        ? await signIn(current, { user, userId, kid: issued.kid }, requireSocketId(socketId), request)
        : undefined;
    if (options.hooks?.onTokenIssued) {
      const context = { user, userId, kid: issued.kid, expiresAt: issued.expiresAt, socketId };
      await callApp('hooks.onTokenIssued', () => options.hooks!.onTokenIssued!(context));
    }
    const body: TokenResponse = {
      token: issued.token,
      expiresAt: issued.expiresAt,
      provider: realtime.provider,
      ...(userAuthentication ? { userAuthentication } : {}),
    };
    return jsonResponse(body);
  }

  async function limitTokenRequests(limiter: RateLimiter | undefined, key: string): Promise<void> {
    if (!limiter) return;
    let verdict: { allowed: boolean; retryAfterSeconds: number };
    try {
      verdict = await limiter.consume(key);
    } catch (error) {
      // A shared limiter whose store is down (e.g. Redis) fails open: it only bounds how often
      // a client may ask, and refusing every sign-in during the outage would be worse.
      log(`next-realtime: /token: the rate limiter failed, so this request was not limited: ${error instanceof Error ? error.message : String(error)}`);
      verdict = { allowed: true, retryAfterSeconds: 0 };
    }
    if (!verdict.allowed) {
      throw new RealtimeError('rate_limited', `too many token requests; retry in ${verdict.retryAfterSeconds} s`, {
        details: { retryAfterSeconds: verdict.retryAfterSeconds },
      });
    }
  }

  /**
   * A visitor without a session on a token provider: a token with no identity for the requested
   * channels open to anyone (openToAnonymous), plus the system channel (rotation notices).
   * Everything else is left out, as a signed-in user's token leaves out what the policy refused.
   * No hook runs: connection limits and rotation count users.
   */
  async function anonymousToken(current: TokenAuth, requested: readonly string[]): Promise<Response> {
    const grants = [...new Set([...requested, SYSTEM_CHANNEL])].filter((channel) => openToAnonymous(channels, channel)).map((channel) => ({ channel }));
    const issued = await current.issueClientToken({ userId: undefined, grants, ttlSeconds: tokenTtlSeconds });
    const body: TokenResponse = { token: issued.token, expiresAt: issued.expiresAt, provider: realtime.provider, anonymous: true };
    return jsonResponse(body);
  }

  async function webhook(request: Request): Promise<Response> {
    const webhookOptions = options.webhook;
    if (!webhookOptions) throw new HandlerError(404, 'not_found', 'webhooks are not enabled on this endpoint');
    const type = (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/json') throw new HandlerError(415, 'unsupported_media_type', 'webhooks are application/json');
    const scheme = parts().webhooks;
    const keys = webhookKeys();
    // The signature headers first: an unsigned request, or one naming a key we do not have, is
    // refused before its body is read.
    requireWebhookHeaders(scheme, request.headers, keys);
    const raw = await readBodyText(request, webhookOptions.maxBodyBytes ?? DEFAULT_WEBHOOK_MAX_BODY_BYTES);
    // Nothing in the body is looked at before the signature verifies.
    const key = await verifyWebhookSignature(scheme, request.headers, raw, keys);
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      throw new RealtimeError('invalid_payload', 'the webhook body is not valid JSON');
    }
    if (webhookMaxAgeMs !== undefined) {
      // The timestamp is inside the signed body, so a replayer cannot move it forward.
      const sentAt = scheme.sentAt(body);
      if (sentAt === undefined) throw new RealtimeError('unauthorized', 'the webhook carries no timestamp, so its age cannot be checked');
      const ageMs = Date.now() - sentAt;
      if (Math.abs(ageMs) > webhookMaxAgeMs) {
        throw new RealtimeError(
          'unauthorized',
          `the webhook's timestamp is ${Math.round(ageMs / 1000)} s from this server's clock; at most ${webhookMaxAgeMs / 1000} s either way are accepted (webhook.maxAgeSeconds)`,
        );
      }
    }
    const events = scheme.normalise(body);
    const deliveryId = toHex(await sha256(new TextEncoder().encode(raw)));
    const deduplicate = webhookOptions.deduplicate;
    if (deduplicate && !(await callApp('webhook.deduplicate.claim', () => deduplicate.claim(deliveryId)))) {
      return jsonResponse({ received: 0, duplicate: true });
    }
    try {
      await callApp('webhook.onEvents', () => webhookOptions.onEvents(events, { provider: realtime.provider, key, deliveryId, request }));
    } catch (error) {
      if (deduplicate?.release) await callApp('webhook.deduplicate.release', () => deduplicate.release!(deliveryId));
      throw error;
    }
    return jsonResponse({ received: events.length });
  }

  const history = createHistoryEndpoint({
    realtime,
    channels,
    optionalUser: async (request) => {
      try {
        return (await currentUser(request, true)).user;
      } catch (error) {
        // No session and no Authorization header: an anonymous reader (public channels only).
        if (isRealtimeError(error, 'unauthorized') && request.headers.get('authorization') === null) return undefined;
        throw error;
      }
    },
    authorize: (user, channel) => callApp('channel policy', () => channels.authorize(user, channel)),
  });

  const handlers: Record<RealtimeEndpoint, (request: Request) => Promise<Response>> = {
    auth: channelAuth,
    'user-auth': userAuth,
    token,
    webhook,
    history,
  };

  return async (request, endpoint) => {
    const name = endpoint ?? lastPathSegment(request.url);
    if (!Object.prototype.hasOwnProperty.call(REALTIME_ENDPOINTS, name)) {
      return errorResponse(404, 'not_found', `no realtime endpoint here; the endpoints are ${Object.keys(REALTIME_ENDPOINTS).join(', ')}`);
    }
    const method = REALTIME_ENDPOINTS[name as RealtimeEndpoint];
    if (request.method !== method) {
      return errorResponse(405, 'method_not_allowed', `${name} accepts ${method} only`, { allow: method });
    }
    try {
      // A misconfigured provider or token keyring is the answer to every endpoint, before any
      // input is looked at: the operator sees which variable to fix, whatever the request.
      auth();
      tokenKeyring();
      return await handlers[name as RealtimeEndpoint](request);
    } catch (error) {
      if (error instanceof CallbackFault) {
        log(`next-realtime: /${name}: ${error.message}`);
        return errorResponse(500, 'internal_error', `the app's ${error.callback} failed; see the server log`);
      }
      return responseForError(error, log, `/${name}`);
    }
  };
}

function lastPathSegment(url: string): string {
  const path = new URL(url).pathname.replace(/\/+$/, '');
  return path.slice(path.lastIndexOf('/') + 1);
}
