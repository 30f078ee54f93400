import { decode as msgpackDecode, encode as msgpackEncode } from '@msgpack/msgpack';
import { http, HttpResponse, passthrough } from 'msw';
import { setupServer } from 'msw/node';
import { AblyStandInError, verifyAuthorizationHeader, type WireError } from './credentials.js';
import type { AblyStandIn, WireMessage } from './standIn.js';

/**
 * Ably's REST API, served by msw inside this process: ably-js in Node sends REST through `got`,
 * which msw intercepts unchanged. One msw server per process; each stand-in registers its port.
 * Requests to ports no stand-in owns pass through untouched (Soketi, Redis HTTP, ...).
 */
const standIns = new Map<number, AblyStandIn>();
let mswServer: ReturnType<typeof setupServer> | undefined;

type Format = 'msgpack' | 'json';

async function readBody(request: Request): Promise<unknown> {
  const bytes = new Uint8Array(await request.arrayBuffer());
  if (bytes.length === 0) return undefined;
  return (request.headers.get('content-type') ?? '').includes('msgpack') ? msgpackDecode(bytes) : JSON.parse(new TextDecoder().decode(bytes));
}

function reply(format: Format, status: number, body: unknown): Response {
  if (format === 'msgpack') {
    return new HttpResponse(msgpackEncode(body, { ignoreUndefined: true }), { status, headers: { 'content-type': 'application/x-msgpack' } });
  }
  return HttpResponse.json(body as object, { status });
}

function errorReply(format: Format, error: WireError): Response {
  const response = reply(format, error.statusCode, { error });
  response.headers.set('x-ably-errorcode', String(error.code));
  return response;
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function route(standIn: AblyStandIn, request: Request): Promise<Response> {
  const url = new URL(request.url);
  const format: Format = (request.headers.get('accept') ?? '').includes('msgpack') ? 'msgpack' : 'json';
  const segments = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  if (request.method === 'GET' && url.pathname === '/time') return reply(format, 200, [Date.now()]);
  if (request.method === 'GET' && segments[0] === 'channels' && segments[2] === 'presence' && segments.length === 3) {
    const reader = verifyAuthorizationHeader(standIn.keys, request.headers.get('authorization'));
    const operations = reader.capability['*'] ?? reader.capability[segments[1]!] ?? [];
    if (!operations.includes('*') && !operations.includes('presence') && !operations.includes('subscribe')) {
      return errorReply(format, { code: 40160, statusCode: 401, message: `Channel denied access based on given capability; channel = ${segments[1]}` });
    }
    // One page: the members present now (Ably pages at `limit`, default 100, up to 1000).
    const limit = Math.min(Number(url.searchParams.get('limit') ?? 100) || 100, 1000);
    return reply(format, 200, standIn.presenceMembers(segments[1]!).slice(0, limit));
  }
  if (request.method !== 'POST') return errorReply(format, { code: 40400, statusCode: 404, message: `No route ${request.method} ${url.pathname}` });

  // Token requests carry their own signature (the mac) instead of an Authorization header.
  if (segments[0] === 'keys' && segments[2] === 'requestToken') {
    const body = (await readBody(request)) as Parameters<AblyStandIn['issueToken']>[0];
    if (body?.keyName !== segments[1]) return errorReply(format, { code: 40101, statusCode: 401, message: 'TokenRequest keyName does not match the URL' });
    return reply(format, 200, standIn.issueToken(body));
  }

  const publisher = verifyAuthorizationHeader(standIn.keys, request.headers.get('authorization'));
  const body = await readBody(request);

  if (segments[0] === 'keys' && segments[2] === 'revokeTokens') {
    if (publisher.keyName !== segments[1]) return errorReply(format, { code: 40101, statusCode: 401, message: 'Tokens can only be revoked with the key that issued them' });
    const { targets, issuedBefore } = body as { targets: string[]; issuedBefore?: number };
    const at = issuedBefore ?? Date.now();
    standIn.revoke(publisher.keyName, targets, at);
    return reply(format, 200, {
      successCount: targets.length,
      failureCount: 0,
      results: targets.map((target) => ({ target, issuedBefore: at, appliesAt: Date.now() })),
    });
  }

  const isSinglePublish = segments[0] === 'channels' && segments[2] === 'messages' && segments.length === 3;
  const isBatchPublish = segments.length === 1 && segments[0] === 'messages';
  if (!isSinglePublish && !isBatchPublish) return errorReply(format, { code: 40400, statusCode: 404, message: `No route POST ${url.pathname}` });

  const fault = standIn.takeFault();
  if (fault?.delayMs) await delay(fault.delayMs);
  if (fault && !fault.afterAccept) {
    return errorReply(format, { code: fault.status * 100, statusCode: fault.status, message: `Injected failure ${fault.status}` });
  }
  let result: unknown;
  if (isSinglePublish) {
    const messages = (Array.isArray(body) ? body : [body]) as WireMessage[];
    standIn.publish(segments[1]!, messages, publisher);
    result = { channel: segments[1], messageId: messages[0]?.id?.split(':')[0] ?? 'rest', serials: messages.map(() => null) };
  } else {
    const specs = (Array.isArray(body) ? body : [body]) as Array<{ channels: string[]; messages: WireMessage | WireMessage[] }>;
    // Validate everything first: a batch with a bad spec must not half-happen in this stand-in.
    result = specs.map((spec) => {
      const messages = Array.isArray(spec.messages) ? spec.messages : [spec.messages];
      const results = spec.channels.map((channel) => {
        try {
          standIn.publish(channel, messages, publisher);
          return { channel, messageId: messages[0]?.id?.split(':')[0] ?? 'rest', serials: messages.map(() => null) };
        } catch (error) {
          if (error instanceof AblyStandInError) return { channel, error: error.wire };
          throw error;
        }
      });
      const failureCount = results.filter((entry) => 'error' in entry).length;
      return { successCount: results.length - failureCount, failureCount, results };
    });
  }
  if (fault?.afterAccept) {
    return errorReply(format, { code: fault.status * 100, statusCode: fault.status, message: `Injected failure ${fault.status} after accepting` });
  }
  return reply(format, 201, result);
}

/** Answers one REST request as Ably would, and records it in `standIn.requests`. */
export async function answerRestRequest(standIn: AblyStandIn, request: Request): Promise<Response> {
  const format: Format = (request.headers.get('accept') ?? '').includes('msgpack') ? 'msgpack' : 'json';
  let response: Response;
  try {
    response = await route(standIn, request);
  } catch (error) {
    response =
      error instanceof AblyStandInError
        ? errorReply(format, error.wire)
        : errorReply(format, { code: 50000, statusCode: 500, message: `stand-in failure: ${(error as Error).message}` });
  }
  (standIn.requests as AblyStandIn['requests']).push({ method: request.method, path: new URL(request.url).pathname, status: response.status });
  return response;
}

/** Registers a stand-in's REST API; returns the function that removes it. */
export function registerRestApi(standIn: AblyStandIn): () => void {
  standIns.set(standIn.port, standIn);
  if (!mswServer) {
    const server = setupServer(
      http.all(/^http:\/\/(localhost|127\.0\.0\.1):\d+\//, async ({ request }) => {
        const target = standIns.get(Number(new URL(request.url).port));
        // The realtime side (a WebSocket upgrade) goes to the real socket the stand-in listens on.
        if (!target || request.headers.get('upgrade')) return passthrough();
        return answerRestRequest(target, request);
      }),
    );
    server.listen({ onUnhandledRequest: 'bypass' });
    mswServer = server;
  }
  return () => {
    standIns.delete(standIn.port);
    if (standIns.size === 0 && mswServer) {
      mswServer.close();
      mswServer = undefined;
    }
  };
}
