import type { ProviderName } from '../registry/names.js';
import { redactedCause, redactSecrets } from './redaction.js';

export type { ProviderName };

/**
 * Every failure the library reports is a RealtimeError with a stable `code`.
 * Applications branch on `code` (never on the message), and on `retryable` to decide
 * whether trying again can help.
 */
export const REALTIME_ERROR_CODES = [
  'invalid_config',
  'invalid_channel',
  'invalid_event',
  'invalid_payload',
  'invalid_socket_id',
  'payload_too_large',
  'batch_too_large',
  'too_many_channels',
  'provider_rejected',
  'provider_unavailable',
  'rate_limited',
  'unauthorized',
  'forbidden',
  'token_expired',
  'invalid_token',
  'too_many_connections',
  'not_supported',
  'closed',
] as const;

export type RealtimeErrorCode = (typeof REALTIME_ERROR_CODES)[number];

export interface RealtimeErrorOptions {
  provider?: ProviderName;
  /** True when the same call may succeed later (network failures, 5xx, rate limits). */
  retryable?: boolean;
  /** HTTP status the provider answered with, when there was one. */
  status?: number;
  /** Extra machine-readable detail (e.g. the offending field or limit). */
  details?: Record<string, unknown>;
  cause?: unknown;
}

const RETRYABLE_BY_DEFAULT: ReadonlySet<RealtimeErrorCode> = new Set([
  'provider_unavailable',
  'rate_limited',
]);

/** HTTP status a route handler answers with for each code. */
const HTTP_STATUS: Record<RealtimeErrorCode, number> = {
  invalid_config: 500,
  invalid_channel: 400,
  invalid_event: 400,
  invalid_payload: 400,
  invalid_socket_id: 400,
  payload_too_large: 413,
  batch_too_large: 400,
  too_many_channels: 400,
  provider_rejected: 502,
  provider_unavailable: 503,
  rate_limited: 429,
  unauthorized: 401,
  forbidden: 403,
  token_expired: 401,
  invalid_token: 401,
  too_many_connections: 429,
  not_supported: 400,
  closed: 400,
};

/**
 * Marks every RealtimeError, whichever copy of this module made it. A bundler may load the library
 * twice in one process: Next.js (Turbopack) gives route handlers and server components separate
 * module instances, so an error thrown by one copy (say, the connection-limit hook of a
 * connection control first created by a server component) reaches code of the other (the route
 * handlers). A plain `instanceof` would call it a foreign exception and answer 500, not 429.
 */
const REALTIME_ERROR_BRAND = Symbol.for('next-realtime.RealtimeError');

export class RealtimeError extends Error {
  /** `error instanceof RealtimeError` holds for a RealtimeError of any copy of the library. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as { [REALTIME_ERROR_BRAND]?: unknown })[REALTIME_ERROR_BRAND] === true;
  }

  override readonly name = 'RealtimeError';
  readonly code: RealtimeErrorCode;
  readonly provider: ProviderName | undefined;
  readonly retryable: boolean;
  readonly status: number | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: RealtimeErrorCode, message: string, options: RealtimeErrorOptions = {}) {
    // Messages and causes are redacted here, once for every error: SDK errors carry signed
    // request URLs and tokens, and apps log errors whole (`console.error(error)`).
    super(redactSecrets(message), options.cause === undefined ? undefined : { cause: redactedCause(options.cause) });
    this.code = code;
    this.provider = options.provider;
    this.retryable = options.retryable ?? RETRYABLE_BY_DEFAULT.has(code);
    this.status = options.status;
    this.details = options.details;
    Object.defineProperty(this, REALTIME_ERROR_BRAND, { value: true });
  }

  /** The HTTP status a route handler should answer with for this error. */
  get httpStatus(): number {
    return HTTP_STATUS[this.code];
  }

  toJSON(): { code: RealtimeErrorCode; message: string } {
    return { code: this.code, message: this.message };
  }
}

export function isRealtimeError(value: unknown, code?: RealtimeErrorCode): value is RealtimeError {
  return value instanceof RealtimeError && (code === undefined || value.code === code);
}
