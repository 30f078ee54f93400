import type { ProviderClientPart } from '../../core/clientParts.js';

export type MemoryClientOptions = {
  provider: 'memory';
  /** Which in-process hub to meet the server in (its `hub` config). */
  hub?: string;
};

/** The in-process provider (tests): no SDK, so its transport needs no build guard. */
export const memoryClientPart: ProviderClientPart<MemoryClientOptions> = {
  auth: 'signatures',
  fromEnv: () => ({ provider: 'memory' }),
  envNames: {},
  required: [],
  loadTransport: async (options, auth) =>
    (await import('./client.js')).createMemoryTransport({
      hub: options.hub,
      authorizeChannel: auth.authorizeChannel,
      authenticateUser: auth.authenticateUser,
    }),
};
