import { describe } from 'vitest';
import { createRealtimeClient, type RealtimeClient } from '../../src/client/index.js';
import type { PresenceMember } from '../../src/core/provider.js';
import { createAblyJwt } from '../../src/providers/ably/tokens.js';
import { createRealtime } from '../../src/server/index.js';
import type { ContractFixture } from '../contract/fixtures.js';
import { defineContractSuite } from '../contract/suite.js';

/**
 * The provider contract against REAL Ably. Opt-in: set ABLY_API_KEY (`appId.keyId:secret`, a key
 * with every capability and "revocable tokens" enabled, which terminateUser needs). Without it the
 * suite is skipped and says so. Channel names are unique per run, so a shared app is fine.
 */
const apiKey = process.env.ABLY_API_KEY?.split(',')[0]?.trim();

if (!apiKey) {
  console.warn('[ably.live] skipped: set ABLY_API_KEY=appId.keyId:secret to run the provider contract against real Ably');
}

let userCounter = 0;

const liveAblyFixture: ContractFixture = {
  name: 'ably (live)',
  clientEvents: true,
  async setup() {
    const realtime = createRealtime({ provider: 'ably', apiKeys: [apiKey!] });
    const clients: RealtimeClient[] = [];
    const make = (getCredentials: NonNullable<Parameters<typeof createRealtimeClient>[0]>['getCredentials']) => {
      const client = createRealtimeClient({ provider: 'ably', getCredentials });
      clients.push(client);
      return client;
    };
    return {
      realtime,
      createClient: (user: PresenceMember = { id: `live-user-${process.pid}-${++userCounter}`, info: { name: `User ${userCounter}` } }) =>
        make(async ({ channels }) => {
          const provider = await realtime.getProvider();
          const grants = channels.map((channel) => ({ channel, member: channel.startsWith('presence-') ? user : undefined }));
          return provider.issueClientToken!({ userId: user.id, grants, ttlSeconds: 600 });
        }),
      createForgedClient: () =>
        make(({ channels }) =>
          createAblyJwt(
            { kid: apiKey!.slice(0, apiKey!.indexOf(':')), secret: 'not-the-key-secret' },
            { clientId: 'forger', capability: Object.fromEntries(channels.map((channel) => [channel, ['subscribe']])), ttlSeconds: 600 },
          ),
        ),
      async teardown() {
        for (const client of clients) client.disconnect();
        await realtime.close();
      },
    };
  },
};

describe.skipIf(!apiKey)('provider contract: ably (live, ABLY_API_KEY)', () => {
  defineContractSuite(liveAblyFixture);
});
