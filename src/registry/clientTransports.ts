import type { ClientOptions } from '../client/options.js';
import { RealtimeError } from '../core/errors.js';
import type { ProviderName } from '../core/errors.js';
import type { ClientTransport, TransportAuth } from '../core/provider.js';

/**
 * The provider registry, browser side: a provider's name -> a lazy loader of its transport (its
 * browser SDK). A dynamic import per provider keeps the others out of the bundle, and nothing
 * here reaches a server part. A new provider adds one line here (the type asks for it).
 */
type OptionsOf<N extends ProviderName> = Extract<ClientOptions, { provider: N }>;
type TransportLoader<N extends ProviderName> = (options: OptionsOf<N>, auth: TransportAuth) => Promise<ClientTransport>;

/** Pusher and Soketi share pusher-js; they differ in where the server is by default. */
async function pusherProtocolTransport(
  options: OptionsOf<'pusher'> | OptionsOf<'soketi'>,
  auth: TransportAuth,
  defaults: { port?: number; useTLS: boolean },
): Promise<ClientTransport> {
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
    return (await import('../providers/ably/client.js')).createAblyTransport({
      fetchToken: auth.fetchToken,
      endpoint: options.endpoint,
      port: options.port,
      tls: options.tls,
      useBinaryProtocol: options.useBinaryProtocol,
    });
  },
};

/** Loads the transport of the provider the options choose (and only that one). */
export function loadProviderTransport(options: ClientOptions, auth: TransportAuth): Promise<ClientTransport> {
  const load = TRANSPORTS[options.provider] as (options: ClientOptions, auth: TransportAuth) => Promise<ClientTransport>;
  return load(options, auth);
}
