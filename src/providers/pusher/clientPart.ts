import { readPublicEnv, transportNotInThisBuild, type ProviderClientPart } from '../../core/clientParts.js';

export type PusherClientOptions = {
  provider: 'pusher';
  key: string;
  cluster: string;
  host?: string;
  port?: number;
  useTLS?: boolean;
};

/** Pusher cloud in the browser: pusher-js, TLS by default, the server signs (signatures). */
export const pusherClientPart: ProviderClientPart<PusherClientOptions> = {
  auth: 'signatures',
  fromEnv: () => ({
    provider: 'pusher',
    key: readPublicEnv(() => process.env.NEXT_PUBLIC_PUSHER_KEY) || undefined,
    cluster: readPublicEnv(() => process.env.NEXT_PUBLIC_PUSHER_CLUSTER) || undefined,
  }),
  envNames: { key: 'NEXT_PUBLIC_PUSHER_KEY', cluster: 'NEXT_PUBLIC_PUSHER_CLUSTER' },
  required: ['key', 'cluster'],
  async loadTransport(options, auth) {
    if (!process.env.NEXT_PUBLIC_REALTIME_PROVIDER || process.env.NEXT_PUBLIC_REALTIME_PROVIDER === 'pusher') {
      return (await import('./client.js')).createPusherTransport({
        key: options.key,
        cluster: options.cluster,
        host: options.host,
        port: options.port,
        useTLS: options.useTLS ?? true,
        authorizeChannel: auth.authorizeChannel,
        authenticateUser: auth.authenticateUser,
      });
    }
    throw transportNotInThisBuild('pusher');
  },
};
