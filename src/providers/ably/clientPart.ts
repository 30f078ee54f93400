import { readPublicEnv, transportNotInThisBuild, type ProviderClientPart } from '../../core/clientParts.js';
import { RealtimeError } from '../../core/errors.js';

export type AblyClientOptions = {
  provider: 'ably';
  /** Ably endpoint (a routing policy id or a host); a host with `port` is used alone, no fallbacks (stand-ins, proxies). */
  endpoint?: string;
  port?: number;
  tls?: boolean;
  /** msgpack on the wire (ably-js default) or JSON when false. */
  useBinaryProtocol?: boolean;
};

/**
 * Ably in the browser: ably-js, connected with the tokens the token endpoint issues. The API key
 * never reaches the browser, so there is nothing to configure beyond a stand-in's address.
 */
export const ablyClientPart: ProviderClientPart<AblyClientOptions> = {
  auth: 'tokens',
  fromEnv: () => {
    const endpoint = readPublicEnv(() => process.env.NEXT_PUBLIC_ABLY_ENDPOINT);
    const port = readPublicEnv(() => process.env.NEXT_PUBLIC_ABLY_PORT);
    const tls = readPublicEnv(() => process.env.NEXT_PUBLIC_ABLY_TLS);
    return {
      provider: 'ably',
      ...(endpoint ? { endpoint } : {}),
      ...(port ? { port: Number(port) } : {}),
      ...(tls ? { tls: tls !== 'false' } : {}),
    };
  },
  envNames: { port: 'NEXT_PUBLIC_ABLY_PORT' },
  required: [],
  async loadTransport(options, auth) {
    // On Ably the token IS the connection credential: without a source there is no connection.
    if (!auth.fetchToken) {
      throw new RealtimeError('invalid_config', 'the ably client needs tokens: remove `tokenEndpoint: false` or pass `getCredentials`', {
        provider: 'ably',
      });
    }
    if (!process.env.NEXT_PUBLIC_REALTIME_PROVIDER || process.env.NEXT_PUBLIC_REALTIME_PROVIDER === 'ably') {
      return (await import('./client.js')).createAblyTransport({
        fetchToken: auth.fetchToken,
        endpoint: options.endpoint,
        port: options.port,
        tls: options.tls,
        useBinaryProtocol: options.useBinaryProtocol,
      });
    }
    throw transportNotInThisBuild('ably');
  },
};
