/**
 * `next-realtime/next`: route handlers for the App Router and helpers for server actions.
 * Everything here uses Web APIs only (Request/Response, Web Crypto, jose).
 */
export { createRealtimeHandlers, type RealtimeHandlers, type NextRouteHandler, type RouteContext } from './nextAppRouter.js';
export { createRealtimeFetchHandler, REALTIME_ENDPOINTS, type RealtimeFetchHandler, type RealtimeEndpoint } from './fetchHandler.js';
export type { AnonymousTokenOptions, RealtimeHandlersOptions, RealtimeHooks, RealtimeLike, RealtimeUser, WebhookOptions } from './options.js';
export { socketIdFromHeaders, SOCKET_ID_HEADER } from './socketId.js';
export { createTokenBucketLimiter, type RateLimiter, type RateLimitResult, type TokenBucketOptions } from './rateLimit.js';
export { verifyWebhookSignature, type RealtimeWebhookEvent, type WebhookContext, type WebhookScheme } from './webhooks.js';
export type { HandlerErrorBody, HandlerErrorCode } from './responses.js';
export {
  signRealtimeToken,
  verifyRealtimeToken,
  REALTIME_TOKEN_SCOPE,
  DEFAULT_TOKEN_TTL_SECONDS,
  type RealtimeTokenClaims,
  type SignedRealtimeToken,
} from '../core/realtimeToken.js';
export { createKeyring, parseKeyring, parseWebhookKeys, type Keyring, type KeyringEntry } from '../core/keyring.js';
export type { TokenResponse } from '../core/systemEvents.js';
