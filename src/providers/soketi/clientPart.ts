import { readPublicEnv, transportNotInThisBuild, type ProviderClientPart } from '../../core/clientParts.js';

export type SoketiClientOptions = {
  provider: 'soketi';
  key: string;
  host: string;
  port?: number;
  useTLS?: boolean;
};

/** Soketi in the browser: Pusher's transport (pusher-js) at a host you run, plain ws on 6001 by default. */
export const soketiClientPart: ProviderClientPart<SoketiClientOptions> = {
  auth: 'signatures',
  fromEnv: () => {
    const port = readPublicEnv(() => process.env.NEXT_PUBLIC_SOKETI_PORT);
    return {
      provider: 'soketi',
      key: readPublicEnv(() => process.env.NEXT_PUBLIC_SOKETI_APP_KEY) || undefined,
      host: readPublicEnv(() => process.env.NEXT_PUBLIC_SOKETI_HOST) || '127.0.0.1',
      port: port ? Number(port) : 6001,
      useTLS: readPublicEnv(() => process.env.NEXT_PUBLIC_SOKETI_USE_TLS) === 'true',
    };
  },
  envNames: { key: 'NEXT_PUBLIC_SOKETI_APP_KEY', host: 'NEXT_PUBLIC_SOKETI_HOST', port: 'NEXT_PUBLIC_SOKETI_PORT' },
  required: ['key', 'host'],
  async loadTransport(options, auth) {
    if (!process.env.NEXT_PUBLIC_REALTIME_PROVIDER || process.env.NEXT_PUBLIC_REALTIME_PROVIDER === 'soketi') {
      return (await import('../pusher/client.js')).createPusherTransport({
        key: options.key,
        host: options.host,
        port: options.port ?? 6001,
        useTLS: options.useTLS ?? false,
        authorizeChannel: auth.authorizeChannel,
        authenticateUser: auth.authenticateUser,
      });
    }
    throw transportNotInThisBuild('soketi');
  },
};
