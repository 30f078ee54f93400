import { RealtimeError, type RealtimeErrorCode } from '../../core/errors.js';

/** What ably-js rejects with: an ErrorInfo (code, statusCode) or, for network failures, a raw error. */
interface AblyFailure {
  code?: number | string;
  statusCode?: number;
  message?: string;
}

function codeFor(failure: AblyFailure): RealtimeErrorCode {
  const status = failure.statusCode;
  const code = typeof failure.code === 'number' ? failure.code : undefined;
  if (code === 40009 || status === 413) return 'payload_too_large';
  if (status === 429 || (code !== undefined && code >= 42900 && code < 43000)) return 'rate_limited';
  // No status: the request never got an answer (refused, reset, timed out).
  if (status === undefined || status >= 500 || status === 408) return 'provider_unavailable';
  return 'provider_rejected';
}

function hint(failure: AblyFailure): string {
  const code = typeof failure.code === 'number' ? failure.code : 0;
  if (failure.statusCode === 401 || failure.statusCode === 403 || (code >= 40100 && code < 40200) || code === 40400) {
    return ' (check ABLY_API_KEY: key name and secret, and that the key has the capability)';
  }
  return '';
}

/** Maps an ably-js failure to a RealtimeError; network failures and 5xx are retryable. */
export function ablyError(error: unknown, action: string): RealtimeError {
  if (error instanceof RealtimeError) return error;
  const failure = (error ?? {}) as AblyFailure;
  const code = codeFor(failure);
  const detail = [failure.statusCode, typeof failure.code === 'number' ? failure.code : undefined].filter((part) => part !== undefined).join('/');
  const message =
    code === 'provider_unavailable' && failure.statusCode === undefined
      ? `ably could not be reached while trying to ${action}: ${failure.message ?? String(error)}`
      : `ably rejected ${action}${detail ? ` (${detail})` : ''}: ${failure.message ?? 'no message'}${hint(failure)}`;
  return new RealtimeError(code, message, {
    provider: 'ably',
    ...(failure.statusCode !== undefined ? { status: failure.statusCode } : {}),
    ...(typeof failure.code === 'number' ? { details: { ablyCode: failure.code } } : {}),
    cause: error,
  });
}
