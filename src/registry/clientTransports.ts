import type { ClientOptions } from '../client/options.js';
import { RealtimeError } from '../core/errors.js';
import type { ProviderName } from '../core/errors.js';
import type { ClientTransport, TransportAuth } from '../core/provider.js';

/**
 * The provider registry, browser side: a provider's name -> a lazy loader of its transport (its
 * browser SDK). A dynamic import per provider keeps the others out of the bundle, and nothing
 * here reaches a server part. A new provider adds one line here (the type asks for it).
 *
 * Each SDK is an optional peer, but Turbopack and webpack fail a build on any `import()` they
 * can see of a package that is not installed, even one the app never runs. So each SDK's import
 * sits inside an `if` on `process.env.NEXT_PUBLIC_REALTIME_PROVIDER`, written out literally:
 * Next.js replaces it with the build's value, both bundlers then see a constant condition and
 * never resolve the other providers' imports (a build for `soketi` needs only `pusher-js`, one
 * for `ably` only `ably`). It is the variable the browser client reads anyway, so this costs no
 * configuration. (`!value ||`, not `value === undefined ||`: webpack folds the former to a
 * constant, not the latter.) A build that does not set it (a client configured only in code)
 * keeps every branch and needs every provider's SDK installed.
 */
type OptionsOf<N extends ProviderName> = Extract<ClientOptions, { provider: N }>;
type TransportLoader<N extends ProviderName> = (options: OptionsOf<N>, auth: TransportAuth) => Promise<ClientTransport>;

/** Pusher and Soketi share pusher-js; they differ in where the server is by default. */
async function pusherProtocolTransport(
  options: OptionsOf<'pusher'> | OptionsOf<'soketi'>,
  auth: TransportAuth,
  defaults: { port?: number; useTLS: boolean },
): Promise<ClientTransport> {
  if (
    !process.env.NEXT_PUBLIC_REALTIME_PROVIDER ||
    process.env.NEXT_PUBLIC_REALTIME_PROVIDER === 'soketi' ||
    process.env.NEXT_PUBLIC_REALTIME_PROVIDER === 'pusher'
  ) {
    return (await import('../providers/pusher/client.js')).createPusherTransport({
      key: options.key,
      cluster: 'cluster' in options ? options.cluster : undefined,
      host: options.host,
      port: options.port ?? defaults.port,
      useTLS: options.useTLS ?? defaults.useTLS,
      authorizeChannel: auth.authorizeChannel,
      authenticateUser: auth.authenticateUser,
    });
  }
  throw notInThisBuild(options.provider);
}

function notInThisBuild(provider: ProviderName): RealtimeError {
  return new RealtimeError(
    'invalid_config',
    `this bundle was built with NEXT_PUBLIC_REALTIME_PROVIDER=${process.env.NEXT_PUBLIC_REALTIME_PROVIDER}, so it holds no ${provider} client: build with NEXT_PUBLIC_REALTIME_PROVIDER=${provider}`,
    { provider },
  );
}

const TRANSPORTS: { [N in ProviderName]: TransportLoader<N> } = {
  soketi: (options, auth) => pusherProtocolTransport(options, auth, { port: 6001, useTLS: false }),
  pusher: (options, auth) => pusherProtocolTransport(options, auth, { useTLS: true }),
  memory: async (options, auth) =>
    (await import('../providers/memory/client.js')).createMemoryTransport({
      hub: options.hub,
      authorizeChannel: auth.authorizeChannel,
      authenticateUser: auth.authenticateUser,
    }),
  ably: async (options, auth) => {
    // On Ably the token IS the connection credential: without a source there is no connection.
    if (!auth.fetchToken) {
      throw new RealtimeError('invalid_config', 'the ably client needs tokens: remove `tokenEndpoint: false` or pass `getCredentials`', {
        provider: 'ably',
      });
    }
    if (!process.env.NEXT_PUBLIC_REALTIME_PROVIDER || process.env.NEXT_PUBLIC_REALTIME_PROVIDER === 'ably') {
      return (await import('../providers/ably/client.js')).createAblyTransport({
        fetchToken: auth.fetchToken,
        endpoint: options.endpoint,
        port: options.port,
        tls: options.tls,
        useBinaryProtocol: options.useBinaryProtocol,
      });
    }
    throw notInThisBuild('ably');
  },
};

/** Loads the transport of the provider the options choose (and only that one). */
export function loadProviderTransport(options: ClientOptions, auth: TransportAuth): Promise<ClientTransport> {
  const load = TRANSPORTS[options.provider] as (options: ClientOptions, auth: TransportAuth) => Promise<ClientTransport>;
  return load(options, auth);
}
