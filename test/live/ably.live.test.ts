import { describe } from 'vitest';
import { createRealtime } from '../../src/server/index.js';
import { routeEnvironment, type ContractFixture } from '../contract/fixtures.js';
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

const liveAblyFixture: ContractFixture = {
  name: 'ably (live)',
  clientEvents: true,
  async setup() {
    const realtime = createRealtime({ provider: 'ably', apiKeys: [apiKey!] });
    const keyName = apiKey!.slice(0, apiKey!.indexOf(':'));
    return routeEnvironment({
      realtime,
      forgedRealtime: createRealtime({ provider: 'ably', apiKeys: [`${keyName}:not-the-key-secret`] }),
      connection: { provider: 'ably' },
      signIn: false,
      userIdPrefix: `live-user-${process.pid}`,
      teardown: () => realtime.close(),
    });
  },
};

describe.skipIf(!apiKey)('provider contract: ably (live, ABLY_API_KEY)', () => {
  defineContractSuite(liveAblyFixture);
});
