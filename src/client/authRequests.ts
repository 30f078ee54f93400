import { RealtimeError, type RealtimeErrorCode } from '../core/errors.js';
import type { ChannelAuthorization, ChannelAuthorizer, UserAuthentication, UserAuthenticator } from '../core/provider.js';
import { endpointUrl, type ClientOptions } from './options.js';

/** The `RealtimeError` code for an HTTP status from the app's own endpoints. */
export function errorCodeForStatus(status: number): RealtimeErrorCode {
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'forbidden';
  if (status === 429) return 'rate_limited';
  if (status >= 500) return 'provider_unavailable';
  return 'provider_rejected';
}

/**
 * One request to one of the app's realtime endpoints (auth, user-auth, token), with the app's
 * extra headers. A network failure is retryable; an error status becomes a RealtimeError whose
 * code the client classifies (401/403 terminal), with the endpoint's own JSON message if any.
 */
export async function requestAppEndpoint(options: ClientOptions, url: string, init: RequestInit, label: string): Promise<Response> {
  const doFetch = options.fetch ?? globalThis.fetch;
  const extraHeaders = typeof options.headers === 'function' ? await options.headers() : options.headers ?? {};
  let response: Response;
  try {
    response = await doFetch(url, {
      ...init,
      headers: { ...(init.headers as Record<string, string>), ...extraHeaders },
      credentials: 'same-origin',
    });
  } catch (error) {
    throw new RealtimeError('provider_unavailable', `${label} request to ${url} failed: ${(error as Error).message}`, {
      retryable: true,
      cause: error,
    });
  }
  if (!response.ok) {
    let message = `${label} request to ${url} answered ${response.status}`;
    let code = errorCodeForStatus(response.status);
    try {
      const body = (await response.json()) as { error?: { message?: string; code?: unknown } };
      if (body?.error?.message) message += `: ${body.error.message}`;
      // The route handlers' own code says more than the status (429: too_many_connections, not
      // a rate limit); a code this library does not know is ignored.
      if (response.status === 429 && body?.error?.code === 'too_many_connections') code = 'too_many_connections';
    } catch {
      // The body is not ours (a proxy's HTML page); the status says enough.
    }
    throw new RealtimeError(code, message, { status: response.status });
  }
  return response;
}

/**
 * The default way a client gets signatures: a form POST to the app's route handler, exactly what
 * pusher-js would send, so the same endpoint also serves plain pusher-js and Laravel Echo. The
 * client's current token rides along as `Authorization: Bearer` (cookies go too, same origin).
 */
async function postForm<T>(options: ClientOptions, url: string, form: Record<string, string>, token: string | undefined): Promise<T> {
  const response = await requestAppEndpoint(
    options,
    url,
    {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: new URLSearchParams(form).toString(),
    },
    'auth',
  );
  return (await response.json()) as T;
}

export function defaultChannelAuthorizer(options: ClientOptions): ChannelAuthorizer {
  if (options.authorizeChannel) return options.authorizeChannel;
  const url = endpointUrl.auth(options);
  return ({ socketId, channel, token }) =>
    postForm<ChannelAuthorization>(options, url, { socket_id: socketId, channel_name: channel }, token);
}

/** Signs in when `signIn` is true, and by default against the library's route handlers. */
export function defaultUserAuthenticator(options: ClientOptions, byDefault: boolean): UserAuthenticator | undefined {
  if (options.authenticateUser) return options.authenticateUser;
  if (!(options.signIn ?? byDefault)) return undefined;
  const url = endpointUrl.userAuth(options);
  return ({ socketId, token }) => postForm<UserAuthentication>(options, url, { socket_id: socketId }, token);
}
