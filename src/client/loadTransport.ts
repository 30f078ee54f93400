import { RealtimeError } from '../core/errors.js';
import type { ClientTransport, TransportAuth } from '../core/provider.js';
import type { ClientOptions } from './options.js';

/**
 * Loads only the chosen provider's browser SDK.
 *
 * Each provider's SDK is an optional peer, but Turbopack and webpack fail a build on any
 * `import()` they can see of a package that is not installed, even one the app never runs. So
 * each SDK's import sits inside an `if` on `process.env.NEXT_PUBLIC_REALTIME_PROVIDER`, written
 * out literally: Next.js replaces it with the build's value, both bundlers then see a constant
 * condition and never resolve the other providers' imports (an app built for `soketi` needs
 * only `pusher-js`, one built for `ably` only `ably`). It is the variable the browser client
 * reads anyway, so this costs no configuration. (`!value`, not `value === undefined`: webpack
 * folds the former to a constant, not the latter.) A build that does not set it (a client
 * configured only in code) keeps every branch and needs every provider's SDK installed.
 */
export async function loadClientTransport(options: ClientOptions, auth: TransportAuth): Promise<ClientTransport> {
  switch (options.provider) {
    case 'soketi':
    case 'pusher':
      if (
        !process.env.NEXT_PUBLIC_REALTIME_PROVIDER ||
        process.env.NEXT_PUBLIC_REALTIME_PROVIDER === 'soketi' ||
        process.env.NEXT_PUBLIC_REALTIME_PROVIDER === 'pusher'
      ) {
        const { createPusherTransport } = await import('../providers/pusher/client.js');
        return options.provider === 'soketi'
          ? createPusherTransport({
              key: options.key,
              host: options.host,
              port: options.port ?? 6001,
              useTLS: options.useTLS ?? false,
              authorizeChannel: auth.authorizeChannel,
              authenticateUser: auth.authenticateUser,
            })
          : createPusherTransport({
              key: options.key,
              cluster: options.cluster,
              host: options.host,
              port: options.port,
              useTLS: options.useTLS ?? true,
              authorizeChannel: auth.authorizeChannel,
              authenticateUser: auth.authenticateUser,
            });
      }
      throw notInThisBuild(options.provider);
    case 'memory':
      return (await import('../providers/memory/client.js')).createMemoryTransport({ hub: options.hub, authorizeChannel: auth.authorizeChannel, authenticateUser: auth.authenticateUser });
    case 'ably':
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
  }
}

function notInThisBuild(provider: ClientOptions['provider']): RealtimeError {
  return new RealtimeError(
    'invalid_config',
    `this bundle was built with NEXT_PUBLIC_REALTIME_PROVIDER=${process.env.NEXT_PUBLIC_REALTIME_PROVIDER}, so it holds no ${provider} client: build with NEXT_PUBLIC_REALTIME_PROVIDER=${provider}`,
    { provider },
  );
}
