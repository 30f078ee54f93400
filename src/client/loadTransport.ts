import { RealtimeError } from '../core/errors.js';
import type { ClientTransport, TransportAuth } from '../core/provider.js';
import type { ClientOptions } from './options.js';

/** Loads only the chosen provider's browser SDK (a dynamic import keeps the others out of the bundle). */
export async function loadClientTransport(options: ClientOptions, auth: TransportAuth): Promise<ClientTransport> {
  switch (options.provider) {
    case 'soketi':
      return (await import('../providers/pusher/client.js')).createPusherTransport({
        key: options.key,
        host: options.host,
        port: options.port ?? 6001,
        useTLS: options.useTLS ?? false,
        authorizeChannel: auth.authorizeChannel,
        authenticateUser: auth.authenticateUser,
      });
    case 'pusher':
      return (await import('../providers/pusher/client.js')).createPusherTransport({
        key: options.key,
        cluster: options.cluster,
        host: options.host,
        port: options.port,
        useTLS: options.useTLS ?? true,
        authorizeChannel: auth.authorizeChannel,
        authenticateUser: auth.authenticateUser,
      });
    case 'memory':
      return (await import('../providers/memory/client.js')).createMemoryTransport({ hub: options.hub, authorizeChannel: auth.authorizeChannel, authenticateUser: auth.authenticateUser });
    case 'ably':
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
  }
}
