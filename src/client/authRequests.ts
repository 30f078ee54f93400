import { RealtimeError } from '../core/errors.js';
import type { ChannelAuthorization, ChannelAuthorizer, UserAuthentication, UserAuthenticator } from '../core/provider.js';
import { errorCodeForStatus } from './credentials.js';
import type { ClientOptions } from './options.js';

/**
 * The default way a client gets signatures: a form POST to the app's route handler, exactly what
 * pusher-js would send, so the same endpoint also serves plain pusher-js and Laravel Echo. The
 * client's current token rides along as `Authorization: Bearer` (cookies go too, same origin).
 */
async function postForm<T>(options: ClientOptions, url: string, form: Record<string, string>, token: string | undefined): Promise<T> {
  const doFetch = options.fetch ?? globalThis.fetch;
  const extraHeaders = typeof options.headers === 'function' ? await options.headers() : options.headers ?? {};
  let response: Response;
  try {
    response = await doFetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...extraHeaders,
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: new URLSearchParams(form).toString(),
      credentials: 'same-origin',
    });
  } catch (error) {
    throw new RealtimeError('provider_unavailable', `auth request to ${url} failed: ${(error as Error).message}`, {
      retryable: true,
      cause: error,
    });
  }
  if (!response.ok) {
    let message = `auth request to ${url} answered ${response.status}`;
    try {
      const body = (await response.json()) as { error?: { message?: string } };
      if (body?.error?.message) message += `: ${body.error.message}`;
    } catch {
      // The body is not ours (a proxy's HTML page); the status says enough.
    }
    throw new RealtimeError(errorCodeForStatus(response.status), message, { status: response.status });
  }
  return (await response.json()) as T;
}

export function defaultChannelAuthorizer(options: ClientOptions): ChannelAuthorizer {
  if (options.authorizeChannel) return options.authorizeChannel;
  const url = options.authEndpoint ?? '/api/realtime/auth';
  return ({ socketId, channel, token }) =>
    postForm<ChannelAuthorization>(options, url, { socket_id: socketId, channel_name: channel }, token);
}

export function defaultUserAuthenticator(options: ClientOptions): UserAuthenticator | undefined {
  if (options.authenticateUser) return options.authenticateUser;
  if (!options.signIn) return undefined;
  const url = options.userAuthEndpoint ?? '/api/realtime/user-auth';
  return ({ socketId, token }) => postForm<UserAuthentication>(options, url, { socket_id: socketId }, token);
}
