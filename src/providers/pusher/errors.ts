import { RealtimeError, type ProviderName, type RealtimeErrorCode } from '../../core/errors.js';

/** Maps an HTTP status (or Soketi's in-body `code`) to a RealtimeError code. */
export function codeForStatus(status: number): RealtimeErrorCode {
  if (status === 413) return 'payload_too_large';
  if (status === 429) return 'rate_limited';
  if (status >= 500) return 'provider_unavailable';
  return 'provider_rejected';
}

function describe(provider: ProviderName, status: number, message: string): string {
  const hint =
    status === 401 || status === 403
      ? ' (check the app id, key and secret)'
      : status === 404
        ? ' (check the app id and host)'
        : '';
  return `${provider} rejected the request with ${status}: ${message}${hint}`;
}

/** Errors thrown by pusher-http-node: a RequestError with `status`/`body`, or a network failure. */
export function pusherRequestError(provider: ProviderName, error: unknown): RealtimeError {
  const failure = error as { status?: number; body?: string; message?: string; error?: { message?: string } };
  if (typeof failure?.status === 'number') {
    const status = failure.status;
    const body = typeof failure.body === 'string' ? failure.body.trim().slice(0, 500) : '';
    return new RealtimeError(codeForStatus(status), describe(provider, status, body || failure.message || 'no body'), {
      provider,
      status,
      cause: error,
    });
  }
  const reason = failure?.error?.message ?? failure?.message ?? String(error);
  return new RealtimeError('provider_unavailable', `${provider} could not be reached: ${reason}`, {
    provider,
    retryable: true,
    cause: error,
  });
}

/**
 * Soketi answers every HTTP API error with status 200 and `{"error": "...", "code": 4xx}`;
 * pusher-http-node treats that as success. A body with an `error` field is an error.
 */
export function throwIfErrorBody(provider: ProviderName, body: string): void {
  if (!body.includes('"error"')) return;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return;
  }
  if (parsed && typeof parsed === 'object' && 'error' in parsed) {
    const { error, code } = parsed as { error: unknown; code?: unknown };
    const status = typeof code === 'number' ? code : 400;
    throw new RealtimeError(codeForStatus(status), describe(provider, status, String(error)), { provider, status });
  }
}
