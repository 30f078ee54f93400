import { decodeProtectedHeader } from 'jose';
import { expect } from 'vitest';
import { createRealtimeClient, type ClientOptions, type RealtimeClient } from '../../src/client/index.js';
import { SYSTEM_CHANNEL, connectionChannelName, defineChannels } from '../../src/index.js';
import { createRealtimeHandlers } from '../../src/next/index.js';
import { createConnectionControl, createRealtime, type ConnectionControl, type Realtime, type StateStore } from '../../src/server/index.js';
import { startSoketi, type SoketiProcess } from '../../scripts/soketiProcess.mjs';
import { startAblyStandIn, type AblyStandIn } from '../support/ably/standIn.js';
import { eventually } from '../support/events.js';
import { redisNamespace } from '../support/redisFixture.js';
import { routeFetch, sessionHeaders, sessionUser, signedInAs, type RouteHandlers, type RouteRequest } from '../support/routeFetch.js';
import { startTcpProxy, type TcpProxy } from '../support/tcpProxy.js';

/**
 * Connection control (per-user limits, logout, secret rotation) is one feature over two provider
 * families: Pusher-protocol signatures (Soketi) and provider tokens (Ably, on the local stand-in).
 * The scenarios (limits.ts, rotation.ts) run against both through this interface: the library's
 * browser client, with its defaults, against the library's route handlers wired with
 * createConnectionControl as the README shows; "Next.js instances" share a real Redis.
 */
export interface ControlFamily {
  name: string;
  /** The two keys a rotation goes between: token secrets on Soketi, Ably API keys on Ably. */
  readonly keys: { old: string; new: string };
  /** How many live connections the rotation scale test holds (Soketi 1,000; the stand-in 50). */
  readonly rotationConnections: number;
  /** How long the rotation scale test gives connections to re-authenticate. */
  readonly rotationGraceMs: number;
  /** The channel tab `index` of the rotation fleet listens on for what is published after it. */
  rotationFeed(index: number): string;
  /** Whether the provider can only close all of a user's connections at once (Pusher protocol). */
  readonly closesWholeUsers: boolean;
  /** Starts the provider (room for `connections` sockets). */
  start(options?: { connections?: number }): Promise<void>;
  stop(): Promise<void>;
  /** A realtime handle for one more "Next.js instance". */
  realtime(): Realtime;
  /** `tokenSecrets` for createConnectionControl: both keys, the old one signing. */
  readonly tokenSecrets: string;
  /** Client options that point the browser at the provider (through `port` when given). */
  connection(port?: number): ClientOptions;
  readonly target: { host: string; port: number };
  /** The id the guard records a connection under (Pusher socket id; Ably connectionId). */
  idOf(client: RealtimeClient): string | undefined;
  /** The provider's view: how many connections of `user` are open there. */
  openAtProvider(user: string, instance: Instance): Promise<number>;
  /** The kid of the credential the connection last authenticated with. */
  kidOf(client: RealtimeClient, requests: readonly RouteRequest[]): string | undefined;
  /** What a closed connection's error says besides the reason: its close code or Ably error code. */
  readonly closedBy: Record<string, number>;
  /** Verifies a token the handlers issued with the keyring of connection control (throws when it does not). */
  verify(control: ConnectionControl, token: string): Promise<{ kid?: string | undefined }>;
  /**
   * Renews the connection's credentials the way the provider does it: on Ably the token expires
   * (a new connection with a fresh token); on the Pusher protocol the client signs in again in place.
   */
  renew(client: RealtimeClient): Promise<void>;
  /** The states a renewing connection goes through. */
  readonly renewalStates: string[];
  /**
   * What the route handlers let `user` into, of `channels`, with the session cookie and without
   * a live connection: a token's grants on Ably (presence channels only with the presence
   * capability), the channels POST /auth signs on the Pusher protocol.
   */
  grantedChannels(instance: Instance, user: string, channels: string[]): Promise<string[]>;
  /** The step an operator takes at the provider once the rotation completed (Ably: revoke the old key). */
  retireOldKeyAtProvider(): void;
}

export interface User {
  id: string;
}

/** One "Next.js instance": its realtime handle, its connection control and its route handlers. */
export interface Instance {
  realtime: Realtime;
  control: ConnectionControl;
  app: RouteHandlers;
}

export const FEED_CHANNELS = defineChannels({
  'private-feed.{id}': (_user: User) => true,
});

/** One more "Next.js instance" of the app: connection control wired into the route handlers as the README shows. */
export function createInstance(
  family: ControlFamily,
  options: { store: StateStore; maxPerUser?: number; joinGraceMs?: number; refreshMs?: number },
): Instance {
  const realtime = family.realtime();
  const control = createConnectionControl({
    realtime,
    tokenSecrets: family.tokenSecrets,
    store: options.store,
    ...(options.maxPerUser !== undefined ? { maxPerUser: options.maxPerUser } : {}),
    joinGraceMs: options.joinGraceMs ?? 3000,
    refreshMs: options.refreshMs ?? 200,
  });
  const app = createRealtimeHandlers<User>({
    realtime,
    channels: FEED_CHANNELS,
    // The session is the cookie's user id (a test app; real apps look the session up).
    getUser: sessionUser,
    tokenSecrets: control.keyring,
    hooks: control.hooks,
    tokenRateLimit: false,
    log: () => undefined,
  });
  return { realtime, control, app };
}

/** A test's world: its provider family, instances, browsers, every request they made. */
export function controlWorld(family: ControlFamily, label: string) {
  const redis = redisNamespace(`control-${label}`);
  const instances: Instance[] = [];
  const clients: RealtimeClient[] = [];
  const proxies = new Map<RealtimeClient, TcpProxy>();
  const requests: RouteRequest[] = [];
  const world = {
    family,
    redis,
    instances,
    clients,
    requests,
    instance(options: { maxPerUser?: number; joinGraceMs?: number; refreshMs?: number; store?: StateStore } = {}): Instance {
      const instance = createInstance(family, { ...options, store: options.store ?? redis.store() });
      instances.push(instance);
      return instance;
    },
    /**
     * A browser tab signed in as `user` on `instance`: the library client with its defaults
     * (token endpoint, sign-in, connection channel, system channel), its fetch the instance's
     * route handlers. `cuttable` routes it through a TCP hop that `cut()` can kill.
     */
    async browser(
      user: string,
      instance: Instance,
      extra: { systemEvents?: boolean; connectionChannel?: boolean; cuttable?: boolean } = {},
    ): Promise<RealtimeClient> {
      const proxy = extra.cuttable ? await startTcpProxy(family.target) : undefined;
      const client = createRealtimeClient({
        ...family.connection(proxy?.port),
        signIn: true,
        ...signedInAs(instance.app, user, { record: requests }),
        reconnect: { baseMs: 200, capMs: 600 },
        reauthSpreadMs: 500,
        ...(extra.systemEvents === false ? { systemEvents: false } : {}),
        ...(extra.connectionChannel === false ? { connectionChannel: false } : {}),
      } as ClientOptions);
      if (proxy) proxies.set(client, proxy);
      clients.push(client);
      client.connect().catch(() => undefined);
      return client;
    },
    /** Kills the tab's TCP connection without a goodbye; the "browser" is gone for good. */
    cut(client: RealtimeClient) {
      const proxy = proxies.get(client);
      if (!proxy) throw new Error('only a cuttable browser can be cut');
      proxy.cut();
      client.disconnect();
    },
    /** Connected, signed in and present on its connection channel (how the server counts it). */
    async signedIn(client: RealtimeClient, user: string, timeoutMs = 8000) {
      const name = await connectionChannelName(user);
      await eventually(() => {
        if (client.subscriptionStatus(name) !== 'subscribed') throw new Error(`${user} is not on its connection channel (state ${client.state}, error ${client.error?.message})`);
      }, timeoutMs, 25);
    },
    /** Connected and signed in, for a tab that does not join its connection channel. */
    async signedInWithoutConnectionChannel(client: RealtimeClient, timeoutMs = 8000) {
      await eventually(() => {
        const signIn = requests.find((request) => request.endpoint === 'user-auth' && request.status === 200 && request.socketId === client.socketId);
        if (client.state !== 'connected' || !signIn) throw new Error(`not signed in (state ${client.state})`);
      }, timeoutMs, 25);
    },
    async dispose() {
      for (const client of clients) client.disconnect();
      for (const proxy of proxies.values()) proxy.cut();
      for (const instance of instances) instance.control.dispose();
      await Promise.all(instances.map((instance) => instance.realtime.close()));
      await redis.cleanup();
    },
  };
  return world;
}

export type ControlWorld = ReturnType<typeof controlWorld>;

const headerKid = (token: string | undefined) => (token ? (decodeProtectedHeader(token).kid as string | undefined) : undefined);

export function soketiFamily(): ControlFamily {
  let soketi: SoketiProcess;
  const keys = { old: 'old', new: 'new' };
  return {
    name: 'soketi',
    keys,
    rotationConnections: Number(process.env.ROTATION_TEST_CONNECTIONS ?? 1000),
    // The deadline counts from start(), whose announcement to 1,000 connections takes seconds on
    // a busy 2-core machine; each tab then re-authenticates with one request (a token and its
    // sign-in), through the connection guard.
    rotationGraceMs: 10_000,
    // One public channel: 1,000 private ones would add 1,000 auth requests to every (re)connect.
    rotationFeed: () => 'news',
    closesWholeUsers: true,
    async start(options = {}) {
      soketi = await startSoketi({
        quiet: true,
        ...(options.connections ? { env: { SOKETI_DEFAULT_APP_MAX_CONNS: String(options.connections * 2) } } : {}),
      });
    },
    stop: async () => soketi?.stop(),
    realtime: () => createRealtime({ provider: 'soketi', appId: soketi.appId, key: soketi.key, secret: soketi.secret, host: '127.0.0.1', port: soketi.port }),
    tokenSecrets: 'old:old-secret-0123456789abcdef,new:new-secret-fedcba9876543210',
    connection: (port) => ({ provider: 'soketi', key: soketi.key, host: '127.0.0.1', port: port ?? soketi.port }),
    get target() {
      return { host: '127.0.0.1', port: soketi.port };
    },
    idOf: (client) => client.socketId,
    async openAtProvider(user, instance) {
      return (await (await instance.realtime.getProvider()).presenceMemberIds!(await connectionChannelName(user))).length;
    },
    // The key of the connection's last sign-in: the bearer token of a POST /user-auth, or the
    // token issued along with the sign-in (a re-authentication's GET /token?sign_in=1).
    kidOf: (client, requests) => {
      const signIn = requests.filter((request) => request.socketId === client.socketId && (request.endpoint === 'user-auth' || request.signedIn)).at(-1);
      return headerKid(signIn?.endpoint === 'user-auth' ? signIn.bearer : signIn?.token);
    },
    closedBy: { closeCode: 4009 },
    verify: async (control, token) => {
      const { verifyRealtimeToken } = await import('../../src/core/realtimeToken.js');
      return verifyRealtimeToken(control.keyring, token);
    },
    async grantedChannels(instance, user, channels) {
      const granted: string[] = [];
      for (const channel of channels) {
        const response = await routeFetch(instance.app)('/api/realtime/auth', {
          method: 'POST',
          headers: { ...sessionHeaders(user), 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ socket_id: '1234.5678', channel_name: channel }).toString(),
        });
        if (response.status === 200) granted.push(channel);
        else expect(response.status).toBe(403);
      }
      return granted;
    },
    renew: (client) => client.reauthenticate(),
    renewalStates: [],
    retireOldKeyAtProvider: () => undefined,
  };
}

export function ablyFamily(): ControlFamily & { readonly standIn: AblyStandIn } {
  let standIn: AblyStandIn;
  const OLD_KEY = 'standin.old:ably-old-secret-0123456789';
  const NEW_KEY = 'standin.new:ably-new-secret-0123456789';
  const keys = { old: 'standin.old', new: 'standin.new' };
  const connectionOf = (client: RealtimeClient) => [...standIn.connections.values()].find((connection) => connection.key === client.socketId);
  return {
    name: 'ably (stand-in)',
    keys,
    rotationConnections: Number(process.env.ABLY_ROTATION_TEST_CONNECTIONS ?? 50),
    rotationGraceMs: 3000,
    // Private channels: the token of the new key must grant them again.
    rotationFeed: (index) => `private-feed.${index % 3}`,
    closesWholeUsers: false,
    get standIn() {
      return standIn;
    },
    async start() {
      standIn = await startAblyStandIn({ keys: [OLD_KEY, NEW_KEY] });
    },
    stop: async () => standIn?.close(),
    realtime: () => createRealtime({ provider: 'ably', apiKeys: [OLD_KEY, NEW_KEY], endpoint: 'localhost', port: standIn.port, tls: false }),
    tokenSecrets: `${OLD_KEY},${NEW_KEY}`,
    connection: (port) => ({ provider: 'ably', ...standIn.clientOptions, ...(port ? { port } : {}) }),
    get target() {
      return { host: '127.0.0.1', port: standIn.port };
    },
    idOf: (client) => connectionOf(client)?.id,
    openAtProvider: async (user) => [...standIn.connections.values()].filter((connection) => connection.identity.clientId === user).length,
    // The token the connection last authenticated with at Ably.
    kidOf: (client) => headerKid(connectionOf(client)?.tokens.at(-1)),
    closedBy: { ablyCode: 40141 },
    verify: async (control, token) => {
      const { verifyAblyJwt } = await import('../../src/providers/ably/tokens.js');
      return verifyAblyJwt(control.keyring, token);
    },
    async grantedChannels(instance, user, channels) {
      const query = new URLSearchParams(channels.map((channel) => ['channel', channel]));
      const response = await routeFetch(instance.app)(`/api/realtime/token?${query}`, { headers: sessionHeaders(user) });
      expect(response.status).toBe(200);
      const { token } = (await response.json()) as { token: string };
      const { verifyAblyJwt } = await import('../../src/providers/ably/tokens.js');
      const verified = await verifyAblyJwt(instance.control.keyring, token);
      expect(verified.clientId).toBe(user);
      // Every token also grants the library's system channel (rotation notices).
      expect(Object.keys(verified.capability)).toContain(SYSTEM_CHANNEL);
      return Object.keys(verified.capability).filter(
        (channel) => channel !== SYSTEM_CHANNEL && (!channel.startsWith('presence-') || verified.capability[channel]!.includes('presence')),
      );
    },
    // ably-js fetches a fresh token and connects again (the stand-in gives a new connection, as
    // Ably does when a resume is not possible); the new connection is admitted in place of the old.
    renew: async (client) => standIn.expireToken(connectionOf(client)!.id),
    renewalStates: ['reconnecting token_expired', 'connected'],
    retireOldKeyAtProvider: () => standIn.revokeKey(keys.old),
  };
}

/** Both families, for describe.each: every scenario runs against each. */
export const CONTROL_FAMILIES = [soketiFamily, ablyFamily];
