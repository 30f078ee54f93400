import { readPublicEnv } from '../core/clientParts.js';
import { RealtimeError } from '../core/errors.js';
import type { ChannelAuthorizer, ClientTransport, TokenFetcher, TransportAuth, UserAuthenticator } from '../core/provider.js';
import { resolveReconnectOptions, type ReconnectOptions } from './backoff.js';
import type { HistoryFetcher } from './historyRecovery.js';
import { clientPart, type ProviderClientOptions } from '../registry/clientTransports.js';
import { isProviderName, PROVIDER_NAMES } from '../registry/names.js';

interface CommonClientOptions {
  /** Where private/presence channels are signed. Default `/api/realtime/auth`. */
  authEndpoint?: string;
  /** Where `pusher:signin` is signed. Default `/api/realtime/user-auth`. */
  userAuthEndpoint?: string;
  /** Extra headers for the auth requests (e.g. a bearer token outside the browser). */
  headers?: Record<string, string> | (() => Record<string, string> | Promise<Record<string, string>>);
  /** Replaces the HTTP call to `authEndpoint` (tests, custom transports). */
  authorizeChannel?: ChannelAuthorizer;
  /** Replaces the HTTP call to `userAuthEndpoint`. */
  authenticateUser?: UserAuthenticator;
  /**
   * Sign the connection in as the current user (what terminateUser / logout and Soketi's user
   * authentication need). Default: sign in whenever the token endpoint knows the user, and treat
   * a 401 from it as an anonymous visitor (public channels; a guest sign-in if the handlers offer
   * one). `true`: this client is always a signed-in user's, a 401 stops it in `auth_failed`.
   * `false`: never sign in.
   */
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
   * Server actions sent from this tab carry this client's socket id in `X-Socket-ID`, so
   * `socketIdFromHeaders(await headers())` in the action leaves the sender out (the client wraps
   * the page's `fetch` for requests with a `Next-Action` header only). Default true.
   */
  serverActionSocketId?: boolean;
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

/** What the app passes: the options every provider shares, and the chosen provider's own (its folder's clientPart.ts). */
export type ClientOptions = CommonClientOptions & ProviderClientOptions;

/** Where the client finds the route handlers by default (the catch-all `app/api/realtime/[...path]`). */
export const DEFAULT_ENDPOINTS = {
  auth: '/api/realtime/auth',
  userAuth: '/api/realtime/user-auth',
  token: '/api/realtime/token',
  history: '/api/realtime/history',
} as const;

/** The URL each request goes to: the app's option, else the default route. */
export const endpointUrl = {
  auth: (options: ClientOptions): string => options.authEndpoint ?? DEFAULT_ENDPOINTS.auth,
  userAuth: (options: ClientOptions): string => options.userAuthEndpoint ?? DEFAULT_ENDPOINTS.userAuth,
  /** Whether tokens are fetched at all (`tokenEndpoint: false`) is tokenFetcherFor's decision. */
  token: (options: ClientOptions): string => (typeof options.tokenEndpoint === 'string' ? options.tokenEndpoint : DEFAULT_ENDPOINTS.token),
};

/** Some options: what they name replaces the `NEXT_PUBLIC_*` configuration, the rest is kept. */
export type ClientOptionsInput = ClientOptions extends infer Each ? (Each extends unknown ? Partial<Each> : never) : never;

/**
 * Reads `NEXT_PUBLIC_REALTIME_PROVIDER` and that provider's `NEXT_PUBLIC_*` variables (its client
 * part reads them, each literally, so that Next.js inlines them into the browser bundle); nothing
 * here touches `window`.
 */
function readClientEnv(): { options: ClientOptionsInput; problems: string[] } {
  const provider = readPublicEnv(() => process.env.NEXT_PUBLIC_REALTIME_PROVIDER);
  if (isProviderName(provider)) return { options: clientPart(provider).fromEnv() as ClientOptionsInput, problems: [] };
  return {
    options: {},
    problems: [
      provider
        ? `NEXT_PUBLIC_REALTIME_PROVIDER: ${JSON.stringify(provider)} is not one of ${PROVIDER_NAMES.join(', ')}`
        : 'NEXT_PUBLIC_REALTIME_PROVIDER: is not set',
    ],
  };
}

/** Problems with a merged configuration, each naming the option and the variable behind it. */
function configProblems(options: ClientOptionsInput): string[] {
  const problems: string[] = [];
  const part = isProviderName(options.provider) ? clientPart(options.provider) : undefined;
  const envNames: Partial<Record<string, string>> = part?.envNames ?? {};
  const source = (field: string) => {
    const variable = envNames[field];
    return variable ? `${variable} (or the \`${field}\` option)` : `the \`${field}\` option`;
  };
  const record = options as Record<string, unknown>;
  for (const field of part?.required ?? []) {
    if (typeof record[field] !== 'string' || record[field] === '') problems.push(`${source(field)}: is not set`);
  }
  if (record.port !== undefined && !(Number.isInteger(record.port) && (record.port as number) > 0 && (record.port as number) < 65536)) {
    problems.push(`${source('port')}: ${JSON.stringify(record.port)} is not a port number`);
  }
  try {
    resolveReconnectOptions(options.reconnect);
  } catch (error) {
    problems.push((error as Error).message);
  }
  return problems;
}

/**
 * The client's configuration: the options the app passed (a value of `undefined` names nothing)
 * over the `NEXT_PUBLIC_*` variables of the same provider. Never throws: a configuration that
 * cannot work comes back as an `invalid_config` RealtimeError that names what to set.
 */
export function resolveClientOptions(input: ClientOptionsInput = {}): { options: ClientOptions } | { error: RealtimeError } {
  const named = Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined)) as ClientOptionsInput;
  const env = readClientEnv();
  let merged: ClientOptionsInput;
  let problems: string[];
  if (!named.provider) {
    merged = { ...env.options, ...named } as ClientOptionsInput;
    problems = [...env.problems, ...configProblems(merged)];
  } else if (!isProviderName(named.provider)) {
    merged = named;
    problems = [`provider: ${JSON.stringify(named.provider)} is not one of ${PROVIDER_NAMES.join(', ')}`];
  } else {
    // Another provider's variables say nothing about this one.
    merged = (env.options.provider === named.provider ? { ...env.options, ...named } : named) as ClientOptionsInput;
    problems = configProblems(merged);
  }
  if (problems.length > 0) {
    return {
      error: new RealtimeError('invalid_config', `next-realtime client is not configured correctly:\n  - ${problems.join('\n  - ')}`, {
        details: { problems },
        ...(isProviderName(merged.provider) ? { provider: merged.provider } : {}),
      }),
    };
  }
  return { options: merged as ClientOptions };
}

/** The client configuration from `NEXT_PUBLIC_*` alone; throws an `invalid_config` RealtimeError if incomplete. */
export function clientOptionsFromEnv(): ClientOptions {
  const resolved = resolveClientOptions();
  if ('error' in resolved) throw resolved.error;
  return resolved.options;
}
