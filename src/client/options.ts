import { RealtimeError } from '../core/errors.js';
import type { ChannelAuthorizer, ClientTransport, TokenFetcher, TransportAuth, UserAuthenticator } from '../core/provider.js';
import type { ReconnectOptions } from './backoff.js';
import type { HistoryFetcher } from './historyRecovery.js';

interface CommonClientOptions {
  /** Where private/presence channels are signed. Default `/api/realtime/auth`. */
  authEndpoint?: string;
  /** Where `pusher:signin` is signed. Default `/api/realtime/user-auth`. */
  userAuthEndpoint?: string;
  /** Extra headers for the auth requests (e.g. a bearer token outside the browser). */
  headers?: Record<string, string> | (() => Record<string, string> | Promise<Record<string, string>>);
  /** Replaces the HTTP call to `authEndpoint` (tests, custom transports). */
  authorizeChannel?: ChannelAuthorizer;
  /** Replaces the HTTP call to `userAuthEndpoint`. Set `signIn: true` to sign in at all. */
  authenticateUser?: UserAuthenticator;
  /** Sign the connection in as the current user (needed for terminateUser / logout). */
  signIn?: boolean;
  /**
   * Where a fresh short-lived token is fetched (GET, `?channel=` per channel, JSON
   * `{ token, expiresAt, provider }`) before every connect and reconnect. Default
   * `/api/realtime/token` (used for Ably and whenever the default auth endpoints are used);
   * `false` turns tokens off (cookie-only auth).
   */
  tokenEndpoint?: string | false;
  /**
   * Replaces the token request (the app's own credential source). Called before every connect
   * and reconnect; throw an error with `status` 401/403 (or a RealtimeError `unauthorized` /
   * `forbidden`) to stop the client with `auth_failed`, anything else is retried with backoff.
   */
  getCredentials?: TokenFetcher;
  /** fetch to use for the auth and token calls; defaults to the global one. */
  fetch?: typeof fetch;
  /** Reconnect policy (full-jitter exponential backoff): `{ baseMs: 1000, capMs: 30000 }` by default. */
  reconnect?: ReconnectOptions;
  /**
   * Listen on the library's system channel for `reauth_required` (secret rotation) and
   * re-authenticate in place. Default true.
   */
  systemEvents?: boolean;
  /**
   * After `reauth_required`, each client waits a random time up to this long (and up to half the
   * time left before the deadline) before fetching its new token, so the token endpoint is not hit
   * by every connection at once. Default 2000 ms.
   */
  reauthSpreadMs?: number;
  /**
   * Signed-in connections join their user's connection channel (`presence-realtime-conn.<hash>`),
   * which the route handlers' connection hooks sign: how the server counts live connections for
   * limits and rotation. Default true; `false` when your handlers do not use connection control.
   */
  connectionChannel?: boolean;
  /**
   * Where a client recovers what it missed on history channels (GET; see docs/delivery.md).
   * Default `/api/realtime/history`; `false` turns recovery requests off (events on history
   * channels are still unwrapped, ordered and de-duplicated).
   */
  historyEndpoint?: string | false;
  /** Replaces the request to `historyEndpoint` (tests, custom backends). */
  fetchHistory?: HistoryFetcher;
  /**
   * History channel patterns (the server's withHistory patterns, e.g. `['room.{roomId}']`). The
   * client learns where such a channel stands as soon as it subscribes, so it recovers after a
   * reconnect even before its first event. Without it a channel is known as a history channel
   * from its first event or from a cursor handed over by a server render (`resumeFrom`, the
   * hooks' `cursor`), and no request is made for any other channel.
   */
  historyChannels?: readonly string[];
  /** Replaces the provider's transport (custom providers, instrumented tests). */
  createTransport?: (auth: TransportAuth) => ClientTransport | Promise<ClientTransport>;
}

export type ClientOptions =
  | (CommonClientOptions & { provider: 'soketi'; key: string; host: string; port?: number; useTLS?: boolean })
  | (CommonClientOptions & { provider: 'pusher'; key: string; cluster: string; host?: string; port?: number; useTLS?: boolean })
  | (CommonClientOptions & { provider: 'memory'; hub?: string })
  | (CommonClientOptions & {
      provider: 'ably';
      /** Ably endpoint (a routing policy id or a host); a host with `port` is used alone, no fallbacks (stand-ins, proxies). */
      endpoint?: string;
      port?: number;
      tls?: boolean;
      /** msgpack on the wire (ably-js default) or JSON when false. */
      useBinaryProtocol?: boolean;
    });

/**
 * Reads `NEXT_PUBLIC_REALTIME_*` variables. Each is referenced literally so that Next.js inlines
 * it into the browser bundle; nothing here touches `window`.
 */
export function clientOptionsFromEnv(): ClientOptions {
  const env = {
    provider: typeof process !== 'undefined' ? process.env.NEXT_PUBLIC_REALTIME_PROVIDER : undefined,
    soketiKey: typeof process !== 'undefined' ? process.env.NEXT_PUBLIC_SOKETI_APP_KEY : undefined,
    soketiHost: typeof process !== 'undefined' ? process.env.NEXT_PUBLIC_SOKETI_HOST : undefined,
    soketiPort: typeof process !== 'undefined' ? process.env.NEXT_PUBLIC_SOKETI_PORT : undefined,
    soketiTLS: typeof process !== 'undefined' ? process.env.NEXT_PUBLIC_SOKETI_USE_TLS : undefined,
    pusherKey: typeof process !== 'undefined' ? process.env.NEXT_PUBLIC_PUSHER_KEY : undefined,
    pusherCluster: typeof process !== 'undefined' ? process.env.NEXT_PUBLIC_PUSHER_CLUSTER : undefined,
    ablyEndpoint: typeof process !== 'undefined' ? process.env.NEXT_PUBLIC_ABLY_ENDPOINT : undefined,
    ablyPort: typeof process !== 'undefined' ? process.env.NEXT_PUBLIC_ABLY_PORT : undefined,
    ablyTLS: typeof process !== 'undefined' ? process.env.NEXT_PUBLIC_ABLY_TLS : undefined,
  };
  const problems: string[] = [];
  const need = (value: string | undefined, name: string): string => {
    if (!value) problems.push(`${name}: is not set`);
    return value ?? '';
  };
  let options: ClientOptions | undefined;
  switch (env.provider) {
    case 'soketi':
      options = {
        provider: 'soketi',
        key: need(env.soketiKey, 'NEXT_PUBLIC_SOKETI_APP_KEY'),
        host: env.soketiHost || '127.0.0.1',
        port: env.soketiPort ? Number(env.soketiPort) : 6001,
        useTLS: env.soketiTLS === 'true',
      };
      break;
    case 'pusher':
      options = {
        provider: 'pusher',
        key: need(env.pusherKey, 'NEXT_PUBLIC_PUSHER_KEY'),
        cluster: need(env.pusherCluster, 'NEXT_PUBLIC_PUSHER_CLUSTER'),
      };
      break;
    case 'ably':
      // The API key never reaches the browser: the client authenticates with tokens from tokenEndpoint.
      options = {
        provider: 'ably',
        ...(env.ablyEndpoint ? { endpoint: env.ablyEndpoint } : {}),
        ...(env.ablyPort ? { port: Number(env.ablyPort) } : {}),
        ...(env.ablyTLS ? { tls: env.ablyTLS !== 'false' } : {}),
      };
      break;
    case 'memory':
      options = { provider: 'memory' };
      break;
    default:
      problems.push(
        env.provider
          ? `NEXT_PUBLIC_REALTIME_PROVIDER: ${JSON.stringify(env.provider)} is not one of soketi, pusher, ably, memory`
          : 'NEXT_PUBLIC_REALTIME_PROVIDER: is not set',
      );
  }
  if (problems.length > 0 || !options) {
    throw new RealtimeError('invalid_config', `next-realtime client is not configured correctly:\n  - ${problems.join('\n  - ')}`, {
      details: { problems },
    });
  }
  return options;
}
