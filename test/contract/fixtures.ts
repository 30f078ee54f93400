import { createRealtimeClient, type ClientOptions, type RealtimeClient } from '../../src/client/index.js';
import { defineChannels, type PresenceMember } from '../../src/index.js';
import { createRealtimeHandlers } from '../../src/next/index.js';
import { createRealtime, type Realtime } from '../../src/server/index.js';
import { getMemoryHub } from '../../src/testing/index.js';
import { startSoketi, type SoketiProcess } from '../../scripts/soketiProcess.mjs';
import { startAblyStandIn } from '../support/ably/standIn.js';
import { sessionOf, signedInAs } from '../support/routeFetch.js';

/**
 * One entry per provider. The contract suite runs every test against every entry: adding a
 * provider means adding an entry here, never copying tests.
 */
export interface ContractEnvironment {
  realtime: Realtime;
  /**
   * A browser signed in as `user` (defaults to a fresh user id), authorised by the app's route
   * handlers; `extra` adds client options (the history suite's history requests).
   */
  createClient(user?: PresenceMember, extra?: ExtraClientOptions): RealtimeClient;
  /**
   * A browser whose app signs with the wrong secret (a forged channel signature on the Pusher
   * protocol, a forged token on Ably): the provider must refuse it.
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

/** Client options a suite may add to every provider's browser. */
export type ExtraClientOptions = Partial<Pick<ClientOptions, 'fetchHistory' | 'historyChannels' | 'historyEndpoint'>>;

/** The client options that say where the provider is (everything but the credentials). */
export type Connection = { provider: ClientOptions['provider'] } & Record<string, unknown>;

let userCounter = 0;

/**
 * The app the contract's browsers talk to: route handlers (createRealtimeHandlers, as in
 * production) whose session is a cookie naming a user the suite created, and whose policy lets
 * signed-in users on every contract channel (presence members are the users as created).
 * Clients authorize through the handlers only: their fetch is the handlers (test/support/routeFetch.ts).
 */
export function contractApp(realtime: Realtime, options: { userIdPrefix?: string } = {}) {
  const users = new Map<string, PresenceMember>();
  const handlers = createRealtimeHandlers<PresenceMember>({
    realtime,
    channels: defineChannels({
      'private-contract.{pid}.{n}': () => true,
      'presence-contract.{pid}.{n}': (user: PresenceMember) => user,
    }),
    getUser: (request) => users.get(sessionOf(request) ?? '') ?? null,
    userFromToken: (claims) => users.get(claims.sub) ?? null,
    // Pusher-protocol browsers send a token of the library's own with their auth requests.
    tokenSecrets: `contract:${Math.random().toString(36).slice(2)}${Date.now().toString(36)}-secret`,
    tokenRateLimit: false,
    log: () => undefined,
  });
  const prefix = options.userIdPrefix ?? 'user';
  return {
    handlers,
    /** The browser options of a fresh session for `user` (a new user id by default). */
    session(user: PresenceMember = { id: `${prefix}-${++userCounter}`, info: { name: `User ${userCounter}` } }) {
      users.set(user.id, user);
      return signedInAs(handlers, user.id);
    },
  };
}

/**
 * The environment of a fixture whose app runs on `realtime`, and whose forged browsers get their
 * credentials from the same app on `forgedRealtime`: the right app key or Ably key name, the
 * wrong secret.
 */
export function routeEnvironment(parts: {
  realtime: Realtime;
  forgedRealtime: Realtime;
  connection: Connection;
  /** Pusher protocol: sign the connection in (needed for terminateUser there). */
  signIn: boolean;
  userIdPrefix?: string;
  teardown(): Promise<void>;
}): ContractEnvironment {
  const app = contractApp(parts.realtime, parts.userIdPrefix ? { userIdPrefix: parts.userIdPrefix } : {});
  const forgedApp = contractApp(parts.forgedRealtime, { userIdPrefix: 'forger' });
  const clients: RealtimeClient[] = [];
  const make = (credentials: ReturnType<typeof app.session>, extra: ExtraClientOptions = {}) => {
    // The contract's handlers run no connection control: no connection channel to join.
    const client = createRealtimeClient({ ...parts.connection, ...credentials, signIn: parts.signIn, connectionChannel: false, ...extra } as ClientOptions);
    clients.push(client);
    return client;
  };
  return {
    realtime: parts.realtime,
    createClient: (user, extra) => make(app.session(user), extra),
    createForgedClient: () => make(forgedApp.session()),
    async teardown() {
      for (const client of clients) client.disconnect();
      await parts.forgedRealtime.close();
      await parts.teardown();
    },
  };
}

let hubCounter = 0;

export const memoryFixture: ContractFixture = {
  name: 'memory',
  clientEvents: true,
  async setup() {
    // A hub of its own per setup, so parallel test files never meet.
    const hub = `contract-${process.pid}-${++hubCounter}`;
    const realtime = createRealtime({ provider: 'memory', hub });
    // The memory hub checks signatures with its own key: an app on another hub signs with another.
    const forgedRealtime = createRealtime({ provider: 'memory', hub: `${hub}-forger` });
    return routeEnvironment({
      realtime,
      forgedRealtime,
      connection: { provider: 'memory', hub },
      signIn: true,
      async teardown() {
        await realtime.close();
        getMemoryHub(hub).reset();
      },
    });
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
      const server = (secret: string) =>
        name === 'soketi'
          ? createRealtime({ provider: 'soketi', appId: soketi.appId, key: soketi.key, secret, host: soketi.host, port: soketi.port })
          : createRealtime({ provider: 'pusher', appId: soketi.appId, key: soketi.key, secret, cluster: 'mt1', host: soketi.host, port: soketi.port, useTLS: false });
      const realtime = server(soketi.secret);
      return routeEnvironment({
        realtime,
        forgedRealtime: server('not-the-app-secret'),
        connection:
          name === 'soketi'
            ? { provider: 'soketi', key: soketi.key, host: soketi.host, port: soketi.port }
            : { provider: 'pusher', key: soketi.key, cluster: 'mt1', host: soketi.host, port: soketi.port, useTLS: false },
        signIn: true,
        async teardown() {
          await realtime.close();
          await soketi.stop();
        },
      });
    },
  };
}

export const soketiFixture = pusherProtocolFixture('soketi');
export const pusherFixture = pusherProtocolFixture('pusher');

/**
 * Ably through the local stand-in (test/support/ably): the real ably-js REST client (msw) and
 * Realtime client (a `ws` server speaking Ably's protocol). Browsers get their tokens from the
 * app's token route, with grants for exactly the channels they ask for.
 */
function ablyFixture(wire: 'msgpack' | 'json'): ContractFixture {
  return {
    name: `ably (stand-in, ${wire})`,
    clientEvents: true,
    async setup() {
      const keyName = `standin.key${++hubCounter}`;
      const apiKey = `${keyName}:${'s3cret'.repeat(4)}`;
      const standIn = await startAblyStandIn({ keys: [apiKey] });
      const server = (key: string) => createRealtime({ provider: 'ably', apiKeys: [key], endpoint: 'localhost', port: standIn.port, tls: false });
      const realtime = server(apiKey);
      return routeEnvironment({
        realtime,
        forgedRealtime: server(`${keyName}:not-the-key-secret`),
        connection: { provider: 'ably', ...standIn.clientOptions, useBinaryProtocol: wire === 'msgpack' },
        signIn: false,
        async teardown() {
          await realtime.close();
          await standIn.close();
        },
      });
    },
  };
}

export const ablyMsgpackFixture = ablyFixture('msgpack');
export const ablyJsonFixture = ablyFixture('json');

export const CONTRACT_FIXTURES: ContractFixture[] = [memoryFixture, soketiFixture, pusherFixture, ablyMsgpackFixture, ablyJsonFixture];
