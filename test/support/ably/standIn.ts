import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decode as msgpackDecode, encode as msgpackEncode } from '@msgpack/msgpack';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  AblyStandInError,
  operationsFor,
  parseAblyKey,
  parseCapability,
  verifyAblyJwt,
  verifyBasicKey,
  verifyTokenRequest,
  type AblyKey,
  type Capability,
  type Identity,
  type TokenRequestBody,
  type WireError,
} from './credentials.js';
import { answerRestRequest, registerRestApi } from './restApi.js';

/**
 * A local stand-in for Ably: its realtime protocol over `ws` (the subset ably-js uses) and its REST
 * API through msw (restApi.ts), sharing one state, at one port. It checks what Ably checks: the key
 * secret on REST, the JWT / token on connect and re-auth, capabilities per channel and operation,
 * and the clientId of what a connection publishes. See PROVIDER-FACTS.md (Ably).
 */

export const ACTION = {
  HEARTBEAT: 0,
  ACK: 1,
  NACK: 2,
  CONNECT: 3,
  CONNECTED: 4,
  DISCONNECT: 5,
  DISCONNECTED: 6,
  CLOSE: 7,
  CLOSED: 8,
  ERROR: 9,
  ATTACH: 10,
  ATTACHED: 11,
  DETACH: 12,
  DETACHED: 13,
  PRESENCE: 14,
  MESSAGE: 15,
  SYNC: 16,
  AUTH: 17,
} as const;

const FLAG = {
  HAS_PRESENCE: 1 << 0,
  PRESENCE: 1 << 16,
  PUBLISH: 1 << 17,
  SUBSCRIBE: 1 << 18,
  PRESENCE_SUBSCRIBE: 1 << 19,
} as const;

const PRESENCE_ACTION = { ABSENT: 0, PRESENT: 1, ENTER: 2, LEAVE: 3, UPDATE: 4 } as const;

type Format = 'msgpack' | 'json';
type ProtocolMessage = Record<string, any> & { action: number };

export interface WireMessage {
  id?: string;
  name?: string;
  data?: unknown;
  encoding?: string;
  clientId?: string;
  connectionId?: string;
  connectionKey?: string;
  timestamp?: number;
  extras?: unknown;
}

interface PresenceEntry {
  clientId: string;
  connectionId: string;
  data: unknown;
  encoding: string | undefined;
  id: string;
  timestamp: number;
}

export interface StandInConnection {
  id: string;
  key: string;
  identity: Identity;
  format: Format;
  echo: boolean;
  attached: Set<string>;
  socket: WebSocket;
  /** Tokens the connection authenticated with, in order (connect, then every AUTH). */
  tokens: string[];
  expiryTimer?: NodeJS.Timeout;
}

interface ChannelState {
  members: Map<string, PresenceEntry>;
  /** Idempotent publishing: message ids seen on this channel (Ably keeps them for 2 minutes). */
  seenIds: Set<string>;
  serial: number;
}

export interface RestFault {
  /** HTTP status to answer the next publish with. */
  status: number;
  /** Deliver the message first, then answer with the error (a response lost on the way back). */
  afterAccept?: boolean;
  /** Hold the response this long first (a hang). */
  delayMs?: number;
}

export interface AblyStandInOptions {
  /** `appId.keyId:secret`; several keys behave like an Ably app with several keys. */
  keys: readonly string[];
  /** Bytes per message (Ably: 64 KiB). */
  maxMessageSize?: number;
  /**
   * Answer REST on the stand-in's own port too, for ably-js in another process (a `next start`
   * server), which this process's msw cannot intercept.
   */
  restOverHttp?: boolean;
}

export interface AblyStandIn {
  readonly port: number;
  /** Client options that point ably-js at this stand-in. */
  readonly clientOptions: { endpoint: string; tls: false; port: number };
  readonly connections: ReadonlyMap<string, StandInConnection>;
  /** Every message delivered to channels, in order (for assertions). */
  readonly published: Array<{ channel: string; message: WireMessage }>;
  /** REST requests answered, by path. */
  readonly requests: Array<{ method: string; path: string; status: number }>;
  /** The next REST publish fails this way. */
  failNextPublish(fault: RestFault): void;
  /** Ends a connection's token early, as Ably does when it expires: DISCONNECTED 40142. */
  expireToken(connectionId: string): void;
  /** Sends AUTH to a connection: Ably asking the client to re-authenticate in place. */
  requestReauth(connectionId: string): void;
  close(): Promise<void>;
  // Used by restApi.ts.
  readonly keys: readonly AblyKey[];
  publish(channel: string, messages: WireMessage[], publisher: Identity): void;
  revoke(keyName: string, targets: readonly string[], issuedBefore: number): void;
  /**
   * The operator revokes a key (Ably dashboard / Control API): the key and every token it issued
   * stop working at once, and connections on such a token are disconnected.
   */
  revokeKey(keyName: string): void;
  /** Ably REST `GET /channels/:name/presence`: the members present now. */
  presenceMembers(channel: string): Array<ReturnType<typeof presenceWire>>;
  issueToken(request: TokenRequestBody): { token: string; issued: number; expires: number; capability: string; clientId?: string; keyName: string };
  takeFault(): RestFault | undefined;
}

const DEFAULT_TTL_MS = 60 * 60_000;

export async function startAblyStandIn(options: AblyStandInOptions): Promise<AblyStandIn> {
  const keys = options.keys.map(parseAblyKey);
  const maxMessageSize = options.maxMessageSize ?? 64 * 1024;
  const connections = new Map<string, StandInConnection>();
  const byKey = new Map<string, StandInConnection>();
  const channels = new Map<string, ChannelState>();
  const nativeTokens = new Map<string, Identity>();
  const usedNonces = new Set<string>();
  /** Ably revokes per key: a revocation applies to tokens the revoking key issued. */
  const revocations: Array<{ keyName: string; clientId: string; issuedBefore: number }> = [];
  const published: AblyStandIn['published'] = [];
  const requests: AblyStandIn['requests'] = [];
  const faults: RestFault[] = [];
  let connectionCounter = 0;

  const channelState = (name: string): ChannelState => {
    let state = channels.get(name);
    if (!state) channels.set(name, (state = { members: new Map(), seenIds: new Set(), serial: 0 }));
    return state;
  };

  const encode = (format: Format, message: ProtocolMessage): string | Uint8Array =>
    format === 'json' ? JSON.stringify(message) : msgpackEncode(message, { ignoreUndefined: true });

  const send = (connection: StandInConnection, message: ProtocolMessage) => {
    if (connection.socket.readyState === connection.socket.OPEN) connection.socket.send(encode(connection.format, message));
  };

  const isRevoked = (identity: Identity): WireError | undefined => {
    if (!identity.clientId || identity.issuedAt === undefined) return undefined;
    const revoked = revocations.some(
      (entry) => entry.keyName === identity.keyName && entry.clientId === identity.clientId && identity.issuedAt! < entry.issuedBefore,
    );
    return revoked ? { code: 40141, statusCode: 401, message: 'Token revoked' } : undefined;
  };

  /** Checks a token (JWT or a token this stand-in issued) as Ably does on connect and AUTH. */
  const authenticateToken = (token: string): Identity => {
    const identity = token.split('.').length === 3 ? verifyAblyJwt(keys, token) : nativeTokens.get(token);
    if (!identity) throw new AblyStandInError({ code: 40143, statusCode: 401, message: 'Token not recognised' });
    if (identity.expiresAt !== undefined && identity.expiresAt <= Date.now()) {
      throw new AblyStandInError({ code: 40142, statusCode: 401, message: 'Token expired' });
    }
    const revoked = isRevoked(identity);
    if (revoked) throw new AblyStandInError(revoked);
    return identity;
  };

  const scheduleExpiry = (connection: StandInConnection) => {
    clearTimeout(connection.expiryTimer);
    const expiresAt = connection.identity.expiresAt;
    if (expiresAt === undefined) return;
    connection.expiryTimer = setTimeout(() => disconnect(connection, { code: 40142, statusCode: 401, message: 'Token expired' }), Math.max(0, expiresAt - Date.now()));
  };

  const connectionDetails = (connection: StandInConnection) => ({
    clientId: connection.identity.clientId,
    connectionKey: connection.key,
    maxMessageSize,
    maxInboundRate: 50,
    maxFrameSize: 512 * 1024,
    serverId: 'ably-stand-in',
    connectionStateTtl: 120_000,
    // 0: no promise of protocol heartbeats, so ably-js runs no idle timer against us.
    maxIdleInterval: 0,
  });

  const broadcastPresence = (channel: string, entries: Array<PresenceEntry & { action: number }>) => {
    for (const connection of connections.values()) {
      if (!connection.attached.has(channel)) continue;
      send(connection, { action: ACTION.PRESENCE, channel, presence: entries.map(presenceWire) });
    }
  };

  const leaveAll = (connection: StandInConnection, only?: string) => {
    for (const [name, state] of channels) {
      if (only !== undefined && name !== only) continue;
      const left: Array<PresenceEntry & { action: number }> = [];
      for (const [memberKey, entry] of state.members) {
        if (entry.connectionId !== connection.id) continue;
        state.members.delete(memberKey);
        // Ably synthesises this leave: its id is not the connection's, so clients order it by timestamp.
        left.push({ ...entry, id: `synthetic:${randomBytes(6).toString('hex')}:0`, action: PRESENCE_ACTION.LEAVE, timestamp: Date.now() });
      }
      if (left.length > 0) broadcastPresence(name, left);
    }
  };

  const forget = (connection: StandInConnection) => {
    if (!connections.has(connection.id)) return;
    clearTimeout(connection.expiryTimer);
    connections.delete(connection.id);
    byKey.delete(connection.key);
    leaveAll(connection);
  };

  function disconnect(connection: StandInConnection, error: WireError) {
    send(connection, { action: ACTION.DISCONNECTED, error });
    forget(connection);
    connection.socket.close();
  }

  const deliver = (channel: string, messages: WireMessage[], origin: StandInConnection | undefined) => {
    const state = channelState(channel);
    const serial = ++state.serial;
    for (const message of messages) published.push({ channel, message });
    for (const connection of connections.values()) {
      if (!connection.attached.has(channel)) continue;
      if (origin && connection.id === origin.id && !origin.echo) continue;
      send(connection, {
        action: ACTION.MESSAGE,
        channel,
        channelSerial: `serial-${serial}`,
        id: `${origin?.id ?? 'rest'}:${serial}`,
        connectionId: origin?.id,
        timestamp: Date.now(),
        messages,
      });
    }
  };

  /** Ably counts data, name, clientId and extras against the message size limit. */
  const messageSize = (message: WireMessage) => {
    const data = message.data;
    const dataSize =
      data == null ? 0 : typeof data === 'string' ? Buffer.byteLength(data) : data instanceof Uint8Array ? data.byteLength : Buffer.byteLength(JSON.stringify(data));
    const extrasSize = message.extras === undefined ? 0 : Buffer.byteLength(JSON.stringify(message.extras));
    return dataSize + Buffer.byteLength(message.name ?? '') + Buffer.byteLength(message.clientId ?? '') + extrasSize;
  };

  /** A publish from REST (identity = the key) or from a connection; throws an Ably error. */
  const publish = (channel: string, messages: WireMessage[], publisher: Identity, fromConnection?: StandInConnection) => {
    if (!operationsFor(publisher.capability, channel).has('publish')) {
      throw new AblyStandInError({ code: 40160, statusCode: 401, message: `Unable to perform channel operation (operation = publish, channel = ${channel})` });
    }
    let origin = fromConnection;
    const accepted: WireMessage[] = [];
    const state = channelState(channel);
    for (const message of messages) {
      if (messageSize(message) > maxMessageSize) {
        throw new AblyStandInError({ code: 40009, statusCode: 400, message: `Maximum message length exceeded (${messageSize(message)} > ${maxMessageSize})` });
      }
      if (fromConnection && message.clientId !== undefined && message.clientId !== fromConnection.identity.clientId) {
        throw new AblyStandInError({ code: 40012, statusCode: 400, message: `Mismatched clientId ${message.clientId}` });
      }
      if (message.connectionKey !== undefined) {
        const target = byKey.get(message.connectionKey);
        if (!target) throw new AblyStandInError({ code: 40006, statusCode: 400, message: 'Invalid connectionKey' });
        origin = target;
      }
    }
    for (const message of messages) {
      if (message.id !== undefined) {
        // Idempotent publishing: a retried message with an id already seen is accepted, not delivered again.
        if (state.seenIds.has(message.id)) continue;
        state.seenIds.add(message.id);
      }
      const { connectionKey: _hidden, ...rest } = message;
      accepted.push({
        ...rest,
        ...(fromConnection?.identity.clientId ? { clientId: fromConnection.identity.clientId } : {}),
        connectionId: origin?.id,
        timestamp: Date.now(),
      });
    }
    if (accepted.length > 0) deliver(channel, accepted, origin);
  };

  const handleProtocolMessage = (connection: StandInConnection, message: ProtocolMessage) => {
    const reject = (error: WireError) => send(connection, { action: ACTION.NACK, msgSerial: message.msgSerial, count: 1, error });
    switch (message.action) {
      case ACTION.HEARTBEAT:
        send(connection, { action: ACTION.HEARTBEAT, id: message.id });
        return;
      case ACTION.CLOSE:
        send(connection, { action: ACTION.CLOSED });
        forget(connection);
        connection.socket.close();
        return;
      case ACTION.DISCONNECT:
        forget(connection);
        connection.socket.close();
        return;
      case ACTION.AUTH: {
        let identity: Identity;
        try {
          identity = authenticateToken(String(message.auth?.accessToken ?? ''));
        } catch (error) {
          const wire = error instanceof AblyStandInError ? error.wire : { code: 40100, statusCode: 401, message: String(error) };
          send(connection, { action: ACTION.ERROR, error: wire });
          forget(connection);
          connection.socket.close();
          return;
        }
        if (identity.clientId !== connection.identity.clientId) {
          send(connection, { action: ACTION.ERROR, error: { code: 40102, statusCode: 401, message: 'Incompatible clientId in new credentials' } });
          forget(connection);
          connection.socket.close();
          return;
        }
        connection.identity = identity;
        connection.tokens.push(String(message.auth.accessToken));
        scheduleExpiry(connection);
        // Channels the new capability no longer covers are detached, as Ably does.
        for (const channel of [...connection.attached]) {
          if (!operationsFor(identity.capability, channel).has('subscribe')) {
            connection.attached.delete(channel);
            leaveAll(connection, channel);
            send(connection, { action: ACTION.DETACHED, channel, error: { code: 40160, statusCode: 401, message: `Channel denied access based on given capability; channel = ${channel}` } });
          }
        }
        send(connection, { action: ACTION.CONNECTED, connectionId: connection.id, connectionDetails: connectionDetails(connection) });
        return;
      }
      case ACTION.ATTACH: {
        const channel = String(message.channel);
        const operations = operationsFor(connection.identity.capability, channel);
        if (operations.size === 0 || !operations.has('subscribe')) {
          send(connection, {
            action: ACTION.ERROR,
            channel,
            error: { code: 40160, statusCode: 401, message: `Channel denied access based on given capability; channel = ${channel}` },
          });
          return;
        }
        connection.attached.add(channel);
        const state = channelState(channel);
        let flags = FLAG.SUBSCRIBE | FLAG.PRESENCE_SUBSCRIBE;
        if (operations.has('publish')) flags |= FLAG.PUBLISH;
        if (operations.has('presence')) flags |= FLAG.PRESENCE;
        const members = [...state.members.values()];
        if (members.length > 0) flags |= FLAG.HAS_PRESENCE;
        send(connection, { action: ACTION.ATTACHED, channel, flags, channelSerial: `serial-${state.serial}` });
        if (members.length > 0) {
          send(connection, {
            action: ACTION.SYNC,
            channel,
            channelSerial: 'sync:',
            presence: members.map((entry) => presenceWire({ ...entry, action: PRESENCE_ACTION.PRESENT })),
          });
        }
        return;
      }
      case ACTION.DETACH: {
        const channel = String(message.channel);
        connection.attached.delete(channel);
        leaveAll(connection, channel);
        send(connection, { action: ACTION.DETACHED, channel });
        return;
      }
      case ACTION.MESSAGE: {
        try {
          publish(String(message.channel), (message.messages ?? []).map((item: WireMessage, index: number) => ({
            ...item,
            id: item.id ?? `${connection.id}:${message.msgSerial}:${index}`,
          })), connection.identity, connection);
        } catch (error) {
          if (error instanceof AblyStandInError) return reject(error.wire);
          throw error;
        }
        send(connection, { action: ACTION.ACK, msgSerial: message.msgSerial, count: 1 });
        return;
      }
      case ACTION.PRESENCE: {
        const channel = String(message.channel);
        if (!operationsFor(connection.identity.capability, channel).has('presence')) {
          return reject({ code: 40160, statusCode: 401, message: `Unable to perform channel operation (operation = presence, channel = ${channel})` });
        }
        if (!connection.attached.has(channel)) return reject({ code: 90001, statusCode: 400, message: 'Channel is not attached' });
        const clientId = connection.identity.clientId;
        if (!clientId) return reject({ code: 40012, statusCode: 400, message: 'Presence needs an identified client (a clientId in the token)' });
        const state = channelState(channel);
        const changes: Array<PresenceEntry & { action: number }> = [];
        (message.presence ?? []).forEach((item: { action: number; clientId?: string; data?: unknown; encoding?: string }, index: number) => {
          if (item.clientId !== undefined && item.clientId !== clientId) return;
          const entry: PresenceEntry = {
            clientId,
            connectionId: connection.id,
            data: item.data,
            encoding: item.encoding,
            id: `${connection.id}:${message.msgSerial}:${index}`,
            timestamp: Date.now(),
          };
          const memberKey = `${connection.id}:${clientId}`;
          if (item.action === PRESENCE_ACTION.LEAVE) state.members.delete(memberKey);
          else state.members.set(memberKey, entry);
          changes.push({ ...entry, action: item.action });
        });
        send(connection, { action: ACTION.ACK, msgSerial: message.msgSerial, count: 1 });
        broadcastPresence(channel, changes);
        return;
      }
      default:
        send(connection, { action: ACTION.ERROR, error: { code: 40000, statusCode: 400, message: `Unsupported action ${message.action}` } });
    }
  };

  const httpServer: Server = createServer((request, response) => {
    // REST is answered by msw in this process; a request that reaches the socket is one msw did
    // not see: from another process, answered here when `restOverHttp` is set.
    if (!options.restOverHttp) {
      response.writeHead(404).end();
      return;
    }
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const headers = new Headers();
      for (const [name, value] of Object.entries(request.headers)) if (typeof value === 'string') headers.set(name, value);
      const body = request.method === 'GET' || request.method === 'HEAD' ? undefined : Buffer.concat(chunks);
      answerRestRequest(standIn, new Request(`http://127.0.0.1:${port}${request.url ?? '/'}`, { method: request.method, headers, body }))
        .then(async (answer) => {
          response.writeHead(answer.status, Object.fromEntries(answer.headers));
          response.end(Buffer.from(await answer.arrayBuffer()));
        })
        .catch(() => response.writeHead(500).end());
    });
  });
  const wss = new WebSocketServer({ server: httpServer });
  wss.on('connection', (socket, request) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const format: Format = url.searchParams.get('format') === 'msgpack' ? 'msgpack' : 'json';
    const fatal = (error: WireError) => {
      socket.send(encode(format, { action: ACTION.ERROR, error }));
      socket.close();
    };
    let identity: Identity;
    const accessToken = url.searchParams.get('access_token');
    const key = url.searchParams.get('key');
    try {
      if (accessToken) identity = authenticateToken(accessToken);
      else if (key) identity = verifyBasicKey(keys, key);
      else return fatal({ code: 40101, statusCode: 401, message: 'No authentication information provided' });
    } catch (error) {
      return fatal(error instanceof AblyStandInError ? error.wire : { code: 40100, statusCode: 401, message: String(error) });
    }
    const requestedClientId = url.searchParams.get('clientId');
    if (requestedClientId && identity.clientId && requestedClientId !== identity.clientId) {
      return fatal({ code: 40102, statusCode: 401, message: 'Incompatible clientId' });
    }
    const id = `conn${++connectionCounter}${randomBytes(4).toString('hex')}`;
    const connection: StandInConnection = {
      id,
      key: `${randomBytes(6).toString('hex')}!${randomBytes(8).toString('base64url').replace(/[^A-Za-z0-9]/g, 'x')}-${connectionCounter}`,
      identity,
      format,
      echo: url.searchParams.get('echo') !== 'false',
      attached: new Set(),
      socket,
      tokens: accessToken ? [accessToken] : [],
    };
    connections.set(id, connection);
    byKey.set(connection.key, connection);
    scheduleExpiry(connection);
    send(connection, { action: ACTION.CONNECTED, connectionId: id, connectionDetails: connectionDetails(connection) });
    socket.on('message', (data, isBinary) => {
      let message: ProtocolMessage;
      try {
        message = (isBinary ? msgpackDecode(data as Buffer) : JSON.parse(String(data))) as ProtocolMessage;
      } catch {
        return;
      }
      handleProtocolMessage(connection, message);
    });
    socket.on('close', () => forget(connection));
  });
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  const port = (httpServer.address() as AddressInfo).port;

  const standIn: AblyStandIn = {
    port,
    clientOptions: { endpoint: 'localhost', tls: false, port },
    connections,
    published,
    requests,
    keys,
    failNextPublish: (fault) => faults.push(fault),
    takeFault: () => faults.shift(),
    expireToken(connectionId) {
      const connection = connections.get(connectionId);
      if (connection) disconnect(connection, { code: 40142, statusCode: 401, message: 'Token expired' });
    },
    requestReauth(connectionId) {
      const connection = connections.get(connectionId);
      if (connection) send(connection, { action: ACTION.AUTH });
    },
    publish: (channel, messages, publisher) => publish(channel, messages, publisher),
    revokeKey(keyName) {
      const index = keys.findIndex((key) => key.name === keyName);
      if (index >= 0) keys.splice(index, 1);
      for (const connection of [...connections.values()]) {
        if (connection.identity.keyName === keyName) disconnect(connection, { code: 40141, statusCode: 401, message: 'Token revoked (key revoked)' });
      }
    },
    presenceMembers(channel) {
      const state = channels.get(channel);
      return state ? [...state.members.values()].map((entry) => presenceWire({ ...entry, action: PRESENCE_ACTION.PRESENT })) : [];
    },
    revoke(keyName, targets, issuedBefore) {
      for (const target of targets) {
        const [type, ...rest] = target.split(':');
        if (type !== 'clientId') throw new AblyStandInError({ code: 40000, statusCode: 400, message: `Unsupported revocation target ${target}` });
        revocations.push({ keyName, clientId: rest.join(':'), issuedBefore });
      }
      for (const connection of [...connections.values()]) {
        const revoked = isRevoked(connection.identity);
        if (revoked) disconnect(connection, revoked);
      }
    },
    issueToken(request) {
      verifyTokenRequest(keys, request);
      if (usedNonces.has(request.nonce)) throw new AblyStandInError({ code: 40105, statusCode: 401, message: 'Nonce value replayed' });
      usedNonces.add(request.nonce);
      const capabilityText = request.capability ?? '{"*":["*"]}';
      const issued = Date.now();
      const expires = issued + (request.ttl ?? DEFAULT_TTL_MS);
      const token = `standin.${randomBytes(18).toString('base64url')}`.replace('.', '-');
      nativeTokens.set(token, {
        keyName: request.keyName,
        clientId: request.clientId,
        capability: parseCapability(capabilityText) as Capability,
        issuedAt: issued,
        expiresAt: expires,
        kind: 'token',
      });
      return { token, issued, expires, capability: capabilityText, keyName: request.keyName, ...(request.clientId ? { clientId: request.clientId } : {}) };
    },
    async close() {
      unregister();
      for (const connection of [...connections.values()]) {
        forget(connection);
        connection.socket.terminate();
      }
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
    },
  };
  // Over HTTP, REST needs no interception in this process either.
  const unregister = options.restOverHttp ? () => undefined : registerRestApi(standIn);
  return standIn;
}

function presenceWire(entry: PresenceEntry & { action: number }) {
  return {
    action: entry.action,
    clientId: entry.clientId,
    connectionId: entry.connectionId,
    id: entry.id,
    timestamp: entry.timestamp,
    data: entry.data,
    encoding: entry.encoding,
  };
}
