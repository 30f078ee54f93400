import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for Pusher cloud's HTTP API (which cannot be reached from CI). It checks what
 * Pusher checks: the app id, auth_key, auth_timestamp freshness, body_md5 and the HMAC-SHA256
 * auth_signature over "METHOD\nPATH\nsorted-query"; and it enforces cloud limits (10 KB data,
 * 100 channels, 10 events per batch) with cloud's status codes (401, 413, 400).
 */
export interface StandInEvent {
  name: string;
  channels: string[];
  data: string;
  socket_id?: string;
}

export interface PusherCloudStandIn {
  port: number;
  received: StandInEvent[];
  terminated: string[];
  /** TCP connections accepted so far (keep-alive reuses one). */
  connections: number;
  /** Makes the next requests answer this status (e.g. 500, 429); undefined to stop. */
  failWith: number | undefined;
  close(): Promise<void>;
}

const MAX_DATA_BYTES = 10 * 1024;

export async function startPusherCloudStandIn(app: { appId: string; key: string; secret: string }): Promise<PusherCloudStandIn> {
  const state: PusherCloudStandIn = {
    port: 0,
    received: [],
    terminated: [],
    connections: 0,
    failWith: undefined,
    close: async () => {},
  };

  const readBody = (request: IncomingMessage) =>
    new Promise<string>((resolve, reject) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      request.on('error', reject);
    });

  const server: Server = createServer(async (request, response) => {
    const send = (status: number, body: string) => {
      response.writeHead(status, { 'content-type': status === 200 ? 'application/json' : 'text/plain' });
      response.end(body);
    };
    const url = new URL(request.url ?? '/', 'http://stand-in');
    const body = await readBody(request);
    const query = Object.fromEntries(url.searchParams);

    if (!url.pathname.startsWith(`/apps/${app.appId}/`)) return send(404, 'Unknown app');
    if (query.auth_key !== app.key) return send(401, 'Unknown auth_key');
    if (query.auth_version !== '1.0') return send(401, 'Invalid auth_version');
    if (Math.abs(Date.now() / 1000 - Number(query.auth_timestamp)) > 600) return send(401, 'Timestamp expired');
    if (body && query.body_md5 !== createHash('md5').update(body).digest('hex')) return send(401, 'Invalid body_md5');
    const signed = Object.keys(query)
      .filter((key) => key !== 'auth_signature')
      .sort()
      .map((key) => `${key}=${query[key]}`)
      .join('&');
    const expected = createHmac('sha256', app.secret).update(`${request.method}\n${url.pathname}\n${signed}`).digest('hex');
    const given = Buffer.from(String(query.auth_signature ?? ''));
    if (given.length !== expected.length || !timingSafeEqual(given, Buffer.from(expected))) {
      return send(401, 'Invalid signature: you should have sent HmacSHA256Hex(...)');
    }
    if (state.failWith) return send(state.failWith, `stand-in failure ${state.failWith}`);

    const parsed = body ? (JSON.parse(body) as Record<string, unknown>) : {};
    const check = (event: Record<string, unknown>): StandInEvent | string => {
      const channels = (event.channels as string[] | undefined) ?? [event.channel as string];
      if (typeof event.data !== 'string') return 'data must be a string';
      if (Buffer.byteLength(event.data) > MAX_DATA_BYTES) return '413';
      if (channels.length > 100) return 'too many channels';
      return { name: String(event.name), channels, data: event.data, ...(event.socket_id ? { socket_id: String(event.socket_id) } : {}) };
    };

    if (url.pathname.endsWith('/batch_events')) {
      const batch = (parsed.batch as Record<string, unknown>[]) ?? [];
      if (batch.length > 10) return send(400, 'Batch too large (max 10)');
      const events = batch.map(check);
      const problem = events.find((event) => typeof event === 'string');
      if (problem) return send(problem === '413' ? 413 : 400, problem === '413' ? 'Request Entity Too Large' : problem);
      state.received.push(...(events as StandInEvent[]));
      return send(200, JSON.stringify({ batch: batch.map(() => ({})) }));
    }
    if (url.pathname.endsWith('/events')) {
      const event = check(parsed);
      if (typeof event === 'string') return send(event === '413' ? 413 : 400, event === '413' ? 'Request Entity Too Large' : event);
      state.received.push(event);
      return send(200, '{}');
    }
    const terminate = /\/users\/([^/]+)\/terminate_connections$/.exec(url.pathname);
    if (terminate) {
      state.terminated.push(decodeURIComponent(terminate[1]!));
      return send(200, '{}');
    }
    return send(404, 'Not found');
  });
  server.on('connection', () => {
    state.connections++;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.port = (server.address() as AddressInfo).port;
  state.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}
