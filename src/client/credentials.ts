import { isRealtimeError, RealtimeError } from '../core/errors.js';
import { errorCodeForStatus, requestAppEndpoint } from './authRequests.js';
import type { ClientToken, TokenFetcher } from '../core/provider.js';
import { TOKEN_QUERY, type TokenResponse } from '../core/systemEvents.js';
import { clientPart } from '../registry/clientTransports.js';
import { endpointUrl, type ClientOptions } from './options.js';

/**
 * The one credentials contract of the client, for every provider: a short-lived token, fetched
 * fresh before every connect and reconnect (and on `reauth_required`), never reused once expired
 * or refused. Pusher/Soketi send it as `Authorization: Bearer` on the auth and user-auth requests;
 * Ably uses it as the connection credential.
 */

/** A token is treated as expired this long before its `expiresAt`, so it never expires in flight. */
export const TOKEN_EXPIRY_MARGIN_MS = 5_000;

/**
 * Terminal: the user is not (or no longer) allowed to connect. Retrying cannot help; the app
 * should send the user to log in. Everything else (network, 5xx, 429, timeouts) is retryable.
 */
export function isTerminalAuthError(error: unknown): boolean {
  if (isRealtimeError(error)) {
    return error.code === 'unauthorized' || error.code === 'forbidden' || error.status === 401 || error.status === 403;
  }
  const status = (error as { status?: unknown } | null)?.status;
  return status === 401 || status === 403;
}

/** Configuration mistakes that no retry can fix (state `failed`). */
export function isFatalError(error: unknown): boolean {
  return isRealtimeError(error) && (error.code === 'invalid_config' || error.code === 'not_supported');
}

/** Any thrown value as a RealtimeError; app-supplied `getCredentials` may throw anything. */
export function toRealtimeError(error: unknown, fallback: string): RealtimeError {
  if (isRealtimeError(error)) return error;
  const status = (error as { status?: unknown } | null)?.status;
  if (typeof status === 'number') {
    return new RealtimeError(errorCodeForStatus(status), (error as Error)?.message || fallback, { status, cause: error });
  }
  return new RealtimeError('provider_unavailable', `${fallback}: ${(error as Error)?.message ?? String(error)}`, {
    retryable: true,
    cause: error,
  });
}

/**
 * Turns a relative endpoint into an absolute URL in a browser; outside one it must be absolute,
 * unless the app passed its own `fetch` (which then decides what a relative URL means).
 */
export function resolveEndpoint(url: string, customFetch = false): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(url) || customFetch) return url;
  const base = (globalThis as { location?: { href?: string } }).location?.href;
  if (!base) {
    throw new RealtimeError(
      'invalid_config',
      `the endpoint ${JSON.stringify(url)} is relative and there is no page to resolve it against; pass an absolute URL or getCredentials`,
    );
  }
  return new URL(url, base).toString();
}

/**
 * The default credential source: `GET tokenEndpoint?channel=a&channel=b` answering
 * `TokenResponse` JSON. Cookies go along (same origin), so the app's session decides who the
 * user is; 401/403 mean "not logged in / not allowed" and stop the client (`auth_failed`).
 */
export function httpTokenFetcher(options: ClientOptions, endpoint: string): TokenFetcher {
  return async ({ channels, socketId, anonymous, signIn }) => {
    const query = new URLSearchParams(channels.map((channel) => [TOKEN_QUERY.channel, channel]));
    if (socketId) query.set(TOKEN_QUERY.socketId, socketId);
    if (socketId && signIn) query.set(TOKEN_QUERY.signIn, '1');
    // Token providers (Ably) answer a visitor without a session with an anonymous token
    // (public channels only); the others answer 401 whatever this says.
    if (anonymous) query.set(TOKEN_QUERY.anonymous, '1');
    const base = resolveEndpoint(endpoint, Boolean(options.fetch));
    const search = query.toString();
    const url = search ? `${base}${base.includes('?') ? '&' : '?'}${search}` : base;
    const response = await requestAppEndpoint(
      options,
      url,
      { method: 'GET', headers: { accept: 'application/json' }, cache: 'no-store' },
      'token',
    );
    let body: Partial<TokenResponse>;
    try {
      body = (await response.json()) as Partial<TokenResponse>;
    } catch (error) {
      throw new RealtimeError('provider_unavailable', `token response from ${endpoint} is not JSON`, { retryable: true, cause: error });
    }
    if (typeof body?.token !== 'string' || body.token === '' || typeof body.expiresAt !== 'number') {
      throw new RealtimeError('provider_unavailable', `token response from ${endpoint} lacks "token" and "expiresAt"`, { retryable: true });
    }
    const signedIn = body.userAuthentication;
    // A sign-in of another shape is not used: the client then asks /user-auth as usual.
    const userAuthentication =
      socketId && signIn && typeof signedIn?.auth === 'string' && typeof signedIn.user_data === 'string'
        ? { auth: signedIn.auth, user_data: signedIn.user_data, socketId }
        : undefined;
    return { token: body.token, expiresAt: body.expiresAt, ...(userAuthentication ? { userAuthentication } : {}) };
  };
}

/**
 * Which credential source a client uses, or none. Tokens are on when the app gives
 * `getCredentials` or a `tokenEndpoint`, for a provider whose client part authenticates with
 * `tokens` (Ably: the token is the connection credential), and
 * whenever the auth requests go to the default HTTP endpoints. `tokenEndpoint: false` turns them
 * off (cookie-only auth); a custom `authorizeChannel` without either option has nothing to carry
 * a token to, so it gets none.
 */
export function tokenFetcherFor(options: ClientOptions): TokenFetcher | undefined {
  if (options.getCredentials) return options.getCredentials;
  if (options.tokenEndpoint === false) return undefined;
  if (typeof options.tokenEndpoint === 'string' || clientPart(options.provider).auth === 'tokens' || !options.authorizeChannel) {
    return httpTokenFetcher(options, endpointUrl.token(options));
  }
  return undefined;
}

/**
 * The setup the README shows: tokens from the library's token endpoint and signatures from its
 * route handlers (nothing replaced). Only then do the defaults assume what the handlers answer:
 * a signed-in user's connection signs in, and the token endpoint's 401 is an anonymous visitor.
 */
export function usesRouteHandlers(options: ClientOptions): boolean {
  return !options.getCredentials && !options.authorizeChannel && options.tokenEndpoint !== false;
}

/**
 * Holds the current token. Every connect calls `refresh()` (always a new token); auth requests
 * call `current()` (the token, or a new one once it is within TOKEN_EXPIRY_MARGIN_MS of expiry or
 * was refused); a transport whose connection credential is the token (Ably) calls `handOut()`,
 * which gives the just-fetched token once and fetches anew on every later call (token renewal).
 */
export class CredentialStore {
  private token: ClientToken | undefined;
  private handedOut = false;
  private inFlight: Promise<ClientToken | undefined> | undefined;
  /** Counts token requests (and abandonments): only the answer to the newest live one is kept. */
  private fetchGeneration = 0;
  /** Why the last fetch found no user (401), when visitors may connect without one. */
  private visitorBecause: RealtimeError | undefined;
  /** Tokens fetched so far (tests and diagnostics). */
  fetchCount = 0;

  constructor(
    private readonly fetcher: TokenFetcher,
    private readonly wantedChannels: () => readonly string[],
    /** The live connection's id, if any: sent along so the server can tie the token to it. */
    private readonly liveSocketId: () => string | undefined = () => undefined,
    private readonly now: () => number = Date.now,
    /**
     * A 401 means "no session here": an anonymous visitor, who connects without a token (public
     * channels) instead of stopping in `auth_failed`. Such a client also asks for an anonymous
     * token (`anonymous`), which token providers (Ably, where a connection needs one) answer with
     * a token for public channels only; the others answer 401.
     */
    private readonly visitorsAllowed = false,
  ) {}

  /** True while the token endpoint knows no user for this client (anonymous visitor). */
  get anonymous(): boolean {
    return this.visitorBecause !== undefined;
  }

  /**
   * Fetches a new token (joining a fetch already in flight, which started after any use of the
   * old one). Resolves undefined for an anonymous visitor.
   */
  refresh(extraChannels: readonly string[] = [], { signIn = false }: { signIn?: boolean } = {}): Promise<ClientToken | undefined> {
    this.token = undefined;
    if (this.inFlight) return this.inFlight;
    const fetching: Promise<ClientToken | undefined> = this.requestToken(extraChannels, signIn).finally(() => {
      if (this.inFlight === fetching) this.inFlight = undefined;
    });
    this.inFlight = fetching;
    return fetching;
  }

  /**
   * The connect attempt that asked for the token in flight gave up on it (a request that may
   * never answer): the next refresh() asks anew, and a late answer to this one is dropped.
   */
  abandonRefresh(): void {
    this.inFlight = undefined;
    this.fetchGeneration += 1;
  }

  private async requestToken(extraChannels: readonly string[], signIn: boolean): Promise<ClientToken | undefined> {
    const channels = [...new Set([...this.wantedChannels(), ...extraChannels])];
    const socketId = this.liveSocketId();
    const fetchedFor = ++this.fetchGeneration;
    let token: ClientToken;
    try {
      const request = {
        channels,
        ...(socketId ? { socketId, ...(signIn ? { signIn: true } : {}) } : {}),
        ...(this.visitorsAllowed ? { anonymous: true } : {}),
      };
      token = await this.fetcher(request);
    } catch (error) {
      const failure = toRealtimeError(error, 'fetching a token failed');
      if (!this.visitorsAllowed || failure.status !== 401) throw failure;
      if (fetchedFor === this.fetchGeneration) this.visitorBecause = failure;
      return undefined;
    }
    if (typeof token?.token !== 'string' || typeof token.expiresAt !== 'number') {
      throw new RealtimeError('invalid_config', 'getCredentials() must resolve to { token: string, expiresAt: number }');
    }
    this.fetchCount += 1;
    // An abandoned request answering late (a newer one was started since) changes nothing.
    if (fetchedFor !== this.fetchGeneration) return token;
    this.visitorBecause = undefined;
    this.token = token;
    this.handedOut = false;
    return token;
  }

  /** A token that is not about to expire, fetched if needed; undefined for an anonymous visitor. */
  async current(): Promise<string | undefined> {
    const token = this.token;
    if (token && token.expiresAt - TOKEN_EXPIRY_MARGIN_MS > this.now()) return token.token;
    if (this.anonymous) return undefined;
    return (await this.refresh())?.token;
  }

  /** The connection credential for token-based providers: never the same token twice. */
  async handOut(channels: readonly string[]): Promise<ClientToken> {
    const token = this.token;
    if (token && !this.handedOut && token.expiresAt - TOKEN_EXPIRY_MARGIN_MS > this.now()) {
      this.handedOut = true;
      return token;
    }
    // Without a user there is no credential for a connection that needs one.
    const fresh = this.visitorBecause ? undefined : await this.refresh(channels);
    if (!fresh) throw this.visitorBecause!;
    this.handedOut = true;
    return fresh;
  }

  /** The server refused `token` (revoked, rotated away): never use it again. */
  invalidate(token: string): void {
    if (this.token?.token === token) this.token = undefined;
  }

  clear(): void {
    this.token = undefined;
  }
}
