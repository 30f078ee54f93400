import type { ClientTransport, TransportAuth } from '../core/provider.js';
import { defaultTokenFetcher } from './authRequests.js';
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
      return (await import('../providers/ably/client.js')).createAblyTransport({
        fetchToken: auth.fetchToken ?? defaultTokenFetcher(options),
        endpoint: options.endpoint,
        port: options.port,
        tls: options.tls,
        useBinaryProtocol: options.useBinaryProtocol,
      });
  }
}
