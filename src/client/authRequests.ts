import { RealtimeError } from '../core/errors.js';
import type { ChannelAuthorization, ChannelAuthorizer, ClientToken, TokenFetcher, UserAuthentication, UserAuthenticator } from '../core/provider.js';
import type { ClientOptions } from './options.js';

/**
 * The default way a client gets signatures: a form POST to the app's route handler, exactly what
 * pusher-js would send, so the same endpoint also serves plain pusher-js and Laravel Echo.
 */
async function postForm<T>(options: ClientOptions, url: string, form: Record<string, string>): Promise<T> {
  const doFetch = options.fetch ?? globalThis.fetch;
  const extraHeaders = typeof options.headers === 'function' ? await options.headers() : options.headers ?? {};
  let response: Response;
  try {
    response = await doFetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...extraHeaders },
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
    const code = response.status === 401 ? 'unauthorized' : response.status === 403 ? 'forbidden' : response.status === 429 ? 'rate_limited' : response.status >= 500 ? 'provider_unavailable' : 'provider_rejected';
    throw new RealtimeError(code, message, { status: response.status });
  }
  return (await response.json()) as T;
}

export function defaultChannelAuthorizer(options: ClientOptions): ChannelAuthorizer {
  if (options.authorizeChannel) return options.authorizeChannel;
  const url = options.authEndpoint ?? '/api/realtime/auth';
  return ({ socketId, channel }) => postForm<ChannelAuthorization>(options, url, { socket_id: socketId, channel_name: channel });
}

export function defaultUserAuthenticator(options: ClientOptions): UserAuthenticator | undefined {
  if (options.authenticateUser) return options.authenticateUser;
  if (!options.signIn) return undefined;
  const url = options.userAuthEndpoint ?? '/api/realtime/user-auth';
  return ({ socketId }) => postForm<UserAuthentication>(options, url, { socket_id: socketId });
}

/**
 * The default way a token-based transport (Ably) gets a fresh credential: GET `tokenEndpoint`
 * with one `channel` parameter per wanted channel, answered with `{ token, expiresAt }`.
 */
export function defaultTokenFetcher(options: ClientOptions): TokenFetcher {
  if (options.getCredentials) return options.getCredentials;
  const url = options.tokenEndpoint ?? '/api/realtime/token';
  return async ({ channels }) => {
    const doFetch = options.fetch ?? globalThis.fetch;
    const extraHeaders = typeof options.headers === 'function' ? await options.headers() : options.headers ?? {};
    const query = new URLSearchParams(channels.map((channel) => ['channel', channel]));
    const target = `${url}${url.includes('?') ? '&' : '?'}${query.toString()}`;
    let response: Response;
    try {
      response = await doFetch(target, { method: 'GET', headers: extraHeaders, credentials: 'same-origin', cache: 'no-store' });
    } catch (error) {
      throw new RealtimeError('provider_unavailable', `token request to ${url} failed: ${(error as Error).message}`, { retryable: true, cause: error });
    }
    if (!response.ok) {
      const code = response.status === 401 ? 'unauthorized' : response.status === 403 ? 'forbidden' : response.status === 429 ? 'rate_limited' : response.status >= 500 ? 'provider_unavailable' : 'provider_rejected';
      throw new RealtimeError(code, `token request to ${url} answered ${response.status}`, { status: response.status });
    }
    const body = (await response.json()) as Partial<ClientToken>;
    if (typeof body?.token !== 'string' || typeof body.expiresAt !== 'number') {
      throw new RealtimeError('invalid_token', `token request to ${url} did not answer { token, expiresAt }`);
    }
    return { token: body.token, expiresAt: body.expiresAt };
  };
}
