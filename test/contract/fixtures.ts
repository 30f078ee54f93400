import { createRealtimeClient, type RealtimeClient } from '../../src/client/index.js';
import type { SignatureAuth, TokenAuth } from '../../src/core/providerParts.js';
import type { PresenceMember } from '../../src/core/provider.js';
import { createRealtime, type Realtime } from '../../src/server/index.js';
import { getMemoryHub } from '../../src/testing/index.js';
import { startSoketi, type SoketiProcess } from '../../scripts/soketiProcess.mjs';
import { createAblyJwt } from '../../src/providers/ably/tokens.js';
import { startAblyStandIn } from '../support/ably/standIn.js';

/**
 * One entry per provider. The contract suite runs every test against every entry: adding a
 * provider means adding an entry here, never copying tests.
 */
export interface ContractEnvironment {
  realtime: Realtime;
  /**
   * A client signed in as `user` (defaults to a fresh user id), authorised by the server's
   * provider; `extra` adds client options (e.g. the history endpoint of the history suite).
   */
  createClient(user?: PresenceMember, extra?: ExtraClientOptions): RealtimeClient;
  /**
   * A client whose credentials were signed with the wrong secret (a forged channel signature on
   * the Pusher protocol, a forged token on Ably): the provider must refuse it.
   */
  createForgedClient(): RealtimeClient;
  teardown(): Promise<void>;
}

export interface ContractFixture {
  name: string;
  /** Whether the provider sends client events (whispers) between browsers. */
  clientEvents: boolean;
  setup(): Promise<ContractEnvironment>;
}

let userCounter = 0;

/** Clients authorise through the server's provider directly: the same signatures the route handlers return. */
export function clientFactory(realtime: Realtime, make: (auth: AuthOptions) => RealtimeClient) {
  return (user: PresenceMember = { id: `user-${++userCounter}`, info: { name: `User ${userCounter}` } }, extra: ExtraClientOptions = {}) =>
    make({
      ...extra,
      signIn: true,
      authorizeChannel: async ({ socketId, channel }) =>
        (realtime.auth as SignatureAuth).authorizeChannel(socketId, channel, channel.startsWith('presence-') ? user : undefined),
      authenticateUser: async ({ socketId }) => (realtime.auth as SignatureAuth).authenticateUser(socketId, user),
    });
}

export type AuthOptions = Pick<Parameters<typeof createRealtimeClient>[0] & object, 'authorizeChannel' | 'authenticateUser' | 'signIn'> & ExtraClientOptions;
/** Client options a suite may add to every provider's client. */
export type ExtraClientOptions = Pick<Parameters<typeof createRealtimeClient>[0] & object, 'fetch' | 'headers' | 'historyEndpoint' | 'fetchHistory' | 'historyChannels'>;

/** A "server" that signs with the wrong secret: the right app key, a signature of zeros. */
export function forgedPusherSignature(appKey: string): NonNullable<AuthOptions['authorizeChannel']> {
  return async () => ({ auth: `${appKey}:${'0'.repeat(64)}` });
}

let hubCounter = 0;

export const memoryFixture: ContractFixture = {
  name: 'memory',
  clientEvents: true,
  async setup() {
    // A hub of its own per setup, so parallel test files never meet.
    const hub = `contract-${process.pid}-${++hubCounter}`;
    const realtime = createRealtime({ provider: 'memory', hub });
    const clients: RealtimeClient[] = [];
    const make = (auth: AuthOptions) => {
      const client = createRealtimeClient({ provider: 'memory', hub, ...auth });
      clients.push(client);
      return client;
    };
    return {
      realtime,
      createClient: clientFactory(realtime, make),
      createForgedClient: () => make({ authorizeChannel: forgedPusherSignature('memory-app-key') }),
      async teardown() {
        for (const client of clients) client.disconnect();
        getMemoryHub(hub).reset();
      },
    };
  },
};

function pusherProtocolFixture(name: 'soketi' | 'pusher'): ContractFixture {
  return {
    name: name === 'soketi' ? 'soketi' : 'pusher (wire: Soketi with Pusher cloud limits)',
    clientEvents: true,
    async setup() {
      // Pusher cloud cannot be reached from here; its wire protocol is Soketi's, so the pusher
      // provider runs against a Soketi that enforces Pusher cloud's 10 KB limit.
      const soketi: SoketiProcess = await startSoketi({
        quiet: true,
        env: name === 'pusher' ? { SOKETI_EVENT_MAX_SIZE_IN_KB: '10' } : {},
      });
      const realtime =
        name === 'soketi'
          ? createRealtime({ provider: 'soketi', appId: soketi.appId, key: soketi.key, secret: soketi.secret, host: soketi.host, port: soketi.port })
          : createRealtime({ provider: 'pusher', appId: soketi.appId, key: soketi.key, secret: soketi.secret, cluster: 'mt1', host: soketi.host, port: soketi.port, useTLS: false });
      const clients: RealtimeClient[] = [];
      const make = (auth: AuthOptions) => {
        const client = createRealtimeClient(
          name === 'soketi'
            ? { provider: 'soketi', key: soketi.key, host: soketi.host, port: soketi.port, ...auth }
            : { provider: 'pusher', key: soketi.key, cluster: 'mt1', host: soketi.host, port: soketi.port, useTLS: false, ...auth },
        );
        clients.push(client);
        return client;
      };
      return {
        realtime,
        createClient: clientFactory(realtime, make),
        createForgedClient: () => make({ authorizeChannel: forgedPusherSignature(soketi.key) }),
        async teardown() {
          for (const client of clients) client.disconnect();
          await realtime.close();
          await soketi.stop();
        },
      };
    },
  };
}

export const soketiFixture = pusherProtocolFixture('soketi');
export const pusherFixture = pusherProtocolFixture('pusher');

export type CredentialsSource = NonNullable<Parameters<typeof createRealtimeClient>[0]>['getCredentials'];

/**
 * Ably clients get their tokens the way the token route does: provider.issueClientToken with
 * grants for exactly the channels they ask for (the tests' policy allows every one). The forged
 * client's tokens name the right key but are signed with the wrong secret.
 */
export function ablyClientFactories(
  realtime: Realtime,
  apiKey: string,
  make: (getCredentials: CredentialsSource, extra?: ExtraClientOptions) => RealtimeClient,
  userIdPrefix: string,
): Pick<ContractEnvironment, 'createClient' | 'createForgedClient'> {
  return {
    createClient: (user: PresenceMember = { id: `${userIdPrefix}-${++userCounter}`, info: { name: `User ${userCounter}` } }, extra: ExtraClientOptions = {}) =>
      make(async ({ channels }) => {
        const grants = channels.map((channel) => ({ channel, member: channel.startsWith('presence-') ? user : undefined }));
        return (realtime.auth as TokenAuth).issueClientToken({ userId: user.id, grants, ttlSeconds: 600 });
      }, extra),
    createForgedClient: () =>
      make(({ channels }) =>
        createAblyJwt(
          { kid: apiKey.slice(0, apiKey.indexOf(':')), secret: 'not-the-key-secret' },
          { clientId: 'forger', capability: Object.fromEntries(channels.map((channel) => [channel, ['subscribe']])), ttlSeconds: 600 },
        ),
      ),
  };
}

/**
 * Ably through the local stand-in (test/support/ably): the real ably-js REST client (msw) and
 * Realtime client (a `ws` server speaking Ably's protocol). Clients get their tokens the way the
 * token route does: provider.issueClientToken with grants for exactly the channels they ask for.
 */
function ablyFixture(wire: 'msgpack' | 'json'): ContractFixture {
  return {
    name: `ably (stand-in, ${wire})`,
    clientEvents: true,
    async setup() {
      const apiKey = `standin.key${++hubCounter}:${'s3cret'.repeat(4)}`;
      const standIn = await startAblyStandIn({ keys: [apiKey] });
      const realtime = createRealtime({ provider: 'ably', apiKeys: [apiKey], endpoint: 'localhost', port: standIn.port, tls: false });
      const clients: RealtimeClient[] = [];
      const make = (getCredentials: CredentialsSource, extra: ExtraClientOptions = {}) => {
        const client = createRealtimeClient({ provider: 'ably', ...standIn.clientOptions, useBinaryProtocol: wire === 'msgpack', getCredentials, ...extra });
        clients.push(client);
        return client;
      };
      return {
        realtime,
        ...ablyClientFactories(realtime, apiKey, make, 'user'),
        async teardown() {
          for (const client of clients) client.disconnect();
          await realtime.close();
          await standIn.close();
        },
      };
    },
  };
}

export const ablyMsgpackFixture = ablyFixture('msgpack');
export const ablyJsonFixture = ablyFixture('json');

export const CONTRACT_FIXTURES: ContractFixture[] = [memoryFixture, soketiFixture, pusherFixture, ablyMsgpackFixture, ablyJsonFixture];
