import { describe } from 'vitest';
import { createRealtime } from '../../src/server/index.js';
import { routeEnvironment, type ContractFixture } from '../contract/fixtures.js';
import { defineContractSuite } from '../contract/suite.js';

/**
 * The provider contract against REAL Pusher Channels. Opt-in: set PUSHER_APP_ID, PUSHER_KEY,
 * PUSHER_SECRET and PUSHER_CLUSTER for an app with "client events" and "user authentication"
 * enabled (the whisper and terminateUser tests need them). Without them the suite is skipped and
 * says so. Channel names are unique per run, so a shared development app is fine.
 */
const credentials = {
  appId: process.env.PUSHER_APP_ID,
  key: process.env.PUSHER_KEY,
  secret: process.env.PUSHER_SECRET,
  cluster: process.env.PUSHER_CLUSTER,
};
const configured = Object.values(credentials).every(Boolean);

if (!configured) {
  console.warn(
    '[pusher.live] skipped: set PUSHER_APP_ID, PUSHER_KEY, PUSHER_SECRET and PUSHER_CLUSTER to run the provider contract against real Pusher Channels',
  );
}

const livePusherFixture: ContractFixture = {
  name: 'pusher (live)',
  clientEvents: true,
  async setup() {
    const { appId, key, secret, cluster } = credentials as Record<keyof typeof credentials, string>;
    const realtime = createRealtime({ provider: 'pusher', appId, key, secret, cluster });
    return routeEnvironment({
      realtime,
      forgedRealtime: createRealtime({ provider: 'pusher', appId, key, secret: 'not-the-app-secret', cluster }),
      connection: { provider: 'pusher', key, cluster },
      signIn: true,
      userIdPrefix: `live-user-${process.pid}`,
      teardown: () => realtime.close(),
    });
  },
};

describe.skipIf(!configured)('provider contract: pusher (live, PUSHER_* credentials)', () => {
  defineContractSuite(livePusherFixture);
});
