import { decodeProtectedHeader } from 'jose';
import { assertChannelName, channelKind } from '../core/channels.js';
import { isRealtimeError, RealtimeError } from '../core/errors.js';
import { assertSocketId, PUSHER_SOCKET_ID_PATTERN } from '../core/socketId.js';
import { parseKeyring, type Keyring, type KeyringEntry } from '../core/keyring.js';
import type { ChannelAuthorization, ChannelGrant, PresenceMember, ServerProvider, UserAuthentication } from '../core/provider.js';
import { DEFAULT_TOKEN_TTL_SECONDS, signRealtimeToken, verifyRealtimeToken } from '../core/realtimeToken.js';
import { SYSTEM_CHANNEL, type TokenResponse } from '../core/systemEvents.js';
import { assertUserId } from '../core/users.js';
import {
  authenticateUser as signUserAuthentication,
  authorizeChannel as signChannelAuthorization,
  type PusherCredentials,
} from '../providers/pusher/channelAuthorization.js';
import type { RealtimeHandlersOptions, RealtimeLike, RealtimeUser, WebhookOptions } from './options.js';
import { createTokenBucketLimiter, type RateLimiter, type TokenBucketOptions } from './rateLimit.js';
import { createHistoryEndpoint } from './historyEndpoint.js';
import { DEFAULT_MAX_BODY_BYTES, readBodyText, readFields } from './requestBody.js';
import { HandlerError, errorResponse, jsonResponse, responseForError } from './responses.js';
import {
  normaliseAblyWebhook,
  normalisePusherWebhook,
  parseWebhookKeys,
  verifyWebhookSignature,
  webhookSchemeFor,
} from './webhooks.js';

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
const MAX_TOKEN_CHANNELS = 100;
const BEARER = /^Bearer[ \t]+([A-Za-z0-9._~+/=-]+)[ \t]*$/i;

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

/** A server-side variable, on runtimes with or without `process` (config.ts would pull in zod). */
function readEnv(name: string): string | undefined {
  return typeof process !== 'undefined' && process.env ? process.env[name] : undefined;
}

function resolveTokenKeyring(option: Keyring | string | undefined): Keyring | undefined {
  if (option !== undefined && typeof option !== 'string') return option;
  const text = option ?? readEnv('REALTIME_TOKEN_SECRETS');
  if (text === undefined || text.trim() === '') return undefined;
  return parseKeyring(text, option === undefined ? 'REALTIME_TOKEN_SECRETS' : 'tokenSecrets');
}

/** The provider's own credentials sign its webhooks: app key + secret, or every Ably API key. */
function defaultWebhookKeys(realtime: RealtimeLike): KeyringEntry[] {
  const config = realtime.config;
  if (!config) return [];
  switch (config.provider) {
    case 'soketi':
    case 'pusher':
      return [{ kid: config.key, secret: config.secret }];
    case 'ably':
      return parseWebhookKeys(config.apiKeys.join(','), 'ABLY_API_KEY');
    case 'memory':
      return [];
  }
}

function resolveRateLimiter(option: RateLimiter | TokenBucketOptions | false | undefined): RateLimiter | undefined {
  if (option === false) return undefined;
  if (option && 'consume' in option && typeof option.consume === 'function') return option;
  return createTokenBucketLimiter((option ?? {}) as TokenBucketOptions);
}

/** Explicit keys first, then REALTIME_WEBHOOK_SECRETS, then the provider's own credentials. */
function resolveWebhookKeys(webhook: WebhookOptions, realtime: RealtimeLike): KeyringEntry[] {
  const explicit =
    webhook.secrets === undefined
      ? []
      : typeof webhook.secrets === 'string'
        ? parseWebhookKeys(webhook.secrets, 'webhook.secrets')
        : [...webhook.secrets];
  const keys = [
    ...explicit,
    ...parseWebhookKeys(readEnv('REALTIME_WEBHOOK_SECRETS') ?? '', 'REALTIME_WEBHOOK_SECRETS'),
    ...defaultWebhookKeys(realtime),
  ];
  if (keys.length === 0) {
    throw new RealtimeError(
      'invalid_config',
      'createRealtimeHandlers: webhooks are enabled but no key can verify them (set webhook.secrets or REALTIME_WEBHOOK_SECRETS)',
    );
  }
  return keys;
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
  const log = options.log ?? ((message: string) => console.error(message));
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const tokenTtlSeconds = options.tokenTtlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS;
  // Parsed once, now: a malformed REALTIME_TOKEN_SECRETS fails at startup, not on a request.
  const tokenKeyring = resolveTokenKeyring(options.tokenSecrets);
  const rateLimiter = resolveRateLimiter(options.tokenRateLimit);
  const webhookKeys = options.webhook ? resolveWebhookKeys(options.webhook, realtime) : [];

  interface Identified {
    user: TUser;
    userId: string;
  }

  function identified(user: TUser, source: string): Identified {
    const id = typeof user.id === 'number' ? String(user.id) : user.id;
    try {
      assertUserId(id);
    } catch {
      throw new RealtimeError('invalid_config', `${source} returned a user without a valid id (1-200 printable characters)`);
    }
    return { user, userId: id };
  }

  /** The session user, or (where allowed) the user of a valid bearer token; else 401. */
  async function currentUser(request: Request, allowBearer: boolean): Promise<Identified> {
    const user = await callApp('getUser', () => options.getUser(request));
    if (user) return identified(user, 'getUser');
    const authorization = request.headers.get('authorization');
    if (allowBearer && authorization !== null) {
      const match = BEARER.exec(authorization);
      if (!match) throw new RealtimeError('invalid_token', 'the Authorization header must be "Bearer <token>"');
      if (!tokenKeyring) throw new RealtimeError('unauthorized', 'bearer tokens are not enabled on this server');
      const claims = await verifyRealtimeToken(tokenKeyring, match[1]!);
      const fromToken = options.userFromToken
        ? await callApp('userFromToken', () => options.userFromToken!(claims))
        : ({ id: claims.sub } as TUser);
      if (!fromToken) throw new RealtimeError('unauthorized', 'the user of this token no longer exists');
      return identified(fromToken, 'userFromToken');
    }
    throw new RealtimeError('unauthorized', 'sign in first: no session and no bearer token');
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

  async function provider(): Promise<ServerProvider> {
    return realtime.getProvider();
  }

  // Pusher and Soketi signatures need only the app key and secret: they are computed here with
  // Web Crypto (the same code the provider uses), so signing never loads the provider's SDK
  // (node:http) and works on fetch-only runtimes. Other providers sign through the provider.
  const pusherCredentials: PusherCredentials | undefined =
    realtime.config && (realtime.config.provider === 'soketi' || realtime.config.provider === 'pusher')
      ? {
          key: realtime.config.key,
          secret: realtime.config.secret,
          encryptionMasterKeyBase64: realtime.config.encryptionMasterKeyBase64,
        }
      : undefined;

  interface Signer {
    name: string;
    authorizeChannel?(socketId: string, channel: string, member?: PresenceMember): Promise<ChannelAuthorization>;
    authenticateUser?(socketId: string, user: PresenceMember): Promise<UserAuthentication>;
  }

  // Pusher-protocol signatures straight from the config (no SDK load); other providers sign themselves.
  const configSigner: Signer | undefined = pusherCredentials && {
    name: realtime.provider,
    authorizeChannel: (socketId, channel, member) => signChannelAuthorization(pusherCredentials, socketId, channel, member),
    authenticateUser: (socketId, user) => signUserAuthentication(pusherCredentials, socketId, user),
  };

  async function signer(): Promise<Signer> {
    return configSigner ?? provider();
  }

  async function channelAuth(request: Request): Promise<Response> {
    const fields = await readFields(request, maxBodyBytes);
    const socketId = requireSocketId(fields.socket_id);
    const channel = requirePrivateChannel(fields.channel_name);
    const { user, userId } = await currentUser(request, true);
    const claimed = options.hooks?.onChannelAuthorize
      ? await callApp('hooks.onChannelAuthorize', () => options.hooks!.onChannelAuthorize!({ user, userId, socketId, channel, request }))
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
    const server = await signer();
    if (!server.authorizeChannel) {
      throw new RealtimeError('not_supported', `the ${server.name} provider authorizes channels with tokens: use GET /token`);
    }
    return jsonResponse(await server.authorizeChannel(socketId, channel, decision.member));
  }

  async function userAuth(request: Request): Promise<Response> {
    const fields = await readFields(request, maxBodyBytes);
    const socketId = requireSocketId(fields.socket_id);
    const { user, userId } = await currentUser(request, true);
    const server = await signer();
    if (!server.authenticateUser) {
      throw new RealtimeError('not_supported', `the ${server.name} provider has no user sign-in: use GET /token`);
    }
    if (options.hooks?.onUserAuthenticate) {
      await callApp('hooks.onUserAuthenticate', () => options.hooks!.onUserAuthenticate!({ user, userId, socketId, request }));
    }
    const info = options.userInfo ? await callApp('userInfo', () => options.userInfo!(user)) : undefined;
    return jsonResponse(await server.authenticateUser(socketId, info ? { id: userId, info } : { id: userId }));
  }

  async function token(request: Request): Promise<Response> {
    const query = new URL(request.url).searchParams;
    const requested = query.getAll('channel');
    if (requested.length > MAX_TOKEN_CHANNELS) {
      throw new RealtimeError('too_many_channels', `a token can name at most ${MAX_TOKEN_CHANNELS} channels`);
    }
    for (const channel of requested) assertChannelName(channel);
    const socketIdParam = query.get('socket_id');
    const socketId = socketIdParam === null || socketIdParam === '' ? undefined : socketIdParam;
    if (socketId !== undefined) assertSocketId(socketId);
    // A token never mints another token: only a real session may ask for one.
    const { user, userId } = await currentUser(request, false);
    if (rateLimiter) {
      const verdict = await rateLimiter.consume(userId);
      if (!verdict.allowed) {
        throw new RealtimeError('rate_limited', `too many token requests; retry in ${verdict.retryAfterSeconds} s`, {
          details: { retryAfterSeconds: verdict.retryAfterSeconds },
        });
      }
    }
    // Pusher-protocol providers have no provider tokens: no need to load their SDK to find out.
    const server = pusherCredentials ? undefined : await provider();
    let issued: { token: string; expiresAt: number; kid: string };
    if (server?.issueClientToken) {
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
      const clientToken = await server.issueClientToken({ userId, grants, ttlSeconds: tokenTtlSeconds });
      issued = { token: clientToken.token, expiresAt: clientToken.expiresAt, kid: clientToken.kid ?? headerKid(clientToken.token) };
    } else {
      if (!tokenKeyring) {
        throw new RealtimeError(
          'invalid_config',
          'REALTIME_TOKEN_SECRETS is not set: set it to "kid:secret" (or pass tokenSecrets to createRealtimeHandlers) to issue tokens',
        );
      }
      issued = await signRealtimeToken(tokenKeyring, userId, { ttlSeconds: tokenTtlSeconds });
    }
    if (options.hooks?.onTokenIssued) {
      const context = { user, userId, kid: issued.kid, expiresAt: issued.expiresAt, socketId };
      await callApp('hooks.onTokenIssued', () => options.hooks!.onTokenIssued!(context));
    }
    const body: TokenResponse = { token: issued.token, expiresAt: issued.expiresAt, provider: realtime.provider };
    return jsonResponse(body);
  }

  async function webhook(request: Request): Promise<Response> {
    const webhookOptions = options.webhook;
    if (!webhookOptions) throw new HandlerError(404, 'not_found', 'webhooks are not enabled on this endpoint');
    const type = (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/json') throw new HandlerError(415, 'unsupported_media_type', 'webhooks are application/json');
    const raw = await readBodyText(request, webhookOptions.maxBodyBytes ?? DEFAULT_WEBHOOK_MAX_BODY_BYTES);
    const scheme = webhookSchemeFor(realtime.provider);
    // Nothing in the body is looked at before the signature verifies.
    const key = await verifyWebhookSignature(scheme, request.headers, raw, webhookKeys);
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      throw new RealtimeError('invalid_payload', 'the webhook body is not valid JSON');
    }
    const events = scheme === 'pusher' ? normalisePusherWebhook(body) : normaliseAblyWebhook(body);
    await callApp('webhook.onEvents', () => webhookOptions.onEvents(events, { provider: realtime.provider, key, request }));
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

function headerKid(token: string): string {
  try {
    const kid = decodeProtectedHeader(token).kid;
    return typeof kid === 'string' ? kid : '';
  } catch {
    return '';
  }
}
