import { RealtimeError, type RealtimeErrorCode } from '../core/errors.js';

/**
 * Every answer of the route handlers is JSON. Errors are `{ error: { code, message } }` with a
 * stable code; HTTP-level refusals that are not library errors get their own codes.
 */
export type HandlerErrorCode = RealtimeErrorCode | 'not_found' | 'method_not_allowed' | 'unsupported_media_type' | 'internal_error';

export interface HandlerErrorBody {
  error: { code: HandlerErrorCode; message: string };
}

/** A refusal the handler decided on (status + code), as opposed to a RealtimeError from below. */
export class HandlerError extends Error {
  constructor(
    readonly status: number,
    readonly code: HandlerErrorCode,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const NO_STORE = { 'cache-control': 'no-store' };

export function jsonResponse(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...NO_STORE, ...headers },
  });
}

export function errorResponse(status: number, code: HandlerErrorCode, message: string, headers: Record<string, string> = {}): Response {
  const body: HandlerErrorBody = { error: { code, message } };
  return jsonResponse(body, status, headers);
}

/**
 * Turns anything thrown while handling a request into a response. RealtimeErrors and
 * HandlerErrors are expected outcomes and keep their status; anything else is a fault in the
 * app's callbacks or in the provider, answered with a bare 500 (no message, no stack) and logged
 * by name and message only.
 */
export function responseForError(error: unknown, log: (message: string) => void, where: string): Response {
  if (error instanceof HandlerError) return errorResponse(error.status, error.code, error.message, error.headers);
  if (error instanceof RealtimeError) {
    const status = error.httpStatus;
    if (status >= 500) log(`next-realtime: ${where}: ${error.code}: ${error.message}`);
    const headers: Record<string, string> = {};
    if (status === 429) {
      const retryAfter = error.details?.retryAfterSeconds;
      headers['retry-after'] = String(typeof retryAfter === 'number' ? Math.max(1, Math.ceil(retryAfter)) : 1);
    }
    // invalid_config messages are written for the operator and name variables, never values.
    return errorResponse(status, error.code, error.message, headers);
  }
  const name = error instanceof Error ? error.name : typeof error;
  const message = error instanceof Error ? error.message : '';
  log(`next-realtime: ${where} failed: ${name}${message ? `: ${message}` : ''}`);
  return errorResponse(500, 'internal_error', `${where} failed; see the server log`);
}
