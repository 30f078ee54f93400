import { builtinModules } from 'node:module';
import { createHmac } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import { build } from 'esbuild';
import { jwtVerify } from 'jose';
import Pusher from 'pusher';
import { beforeAll, describe, expect, it } from 'vitest';
import type { createNeutralApp } from './neutralApp.js';

/**
 * The route handlers and their signing code use Web APIs only. Proof: bundle them for esbuild's
 * 'neutral' platform, failing on any Node built-in import, then run the bundle in a node:vm
 * context that exposes Web globals only (no process, require, Buffer) and call the handler
 * there with real Requests.
 */
const here = path.dirname(fileURLToPath(import.meta.url));
const credentials = { key: 'edge-key', secret: 'edge-secret' };
const reference = new Pusher({ appId: 'app-id', ...credentials, cluster: 'mt1' });
const tokenSecret = 'edge-token-secret-0123456789abcdef';

// What a fetch-only runtime (Workers, Vercel Edge, Deno) provides. The typed-array and
// ArrayBuffer constructors are the host's so values created by the host's TextEncoder and
// Web Crypto pass `instanceof` checks inside the context, as they would in one realm.
const WEB_GLOBALS = {
  Request, Response, Headers, URL, URLSearchParams, TextEncoder, TextDecoder, crypto, ReadableStream, WritableStream,
  TransformStream, Blob, FormData, AbortController, AbortSignal, atob, btoa, console, setTimeout, clearTimeout,
  queueMicrotask, structuredClone, fetch, Event, EventTarget, CryptoKey,
  Uint8Array, ArrayBuffer, DataView, Int8Array, Uint16Array, Int16Array, Uint32Array, Int32Array, Float32Array, Float64Array,
};

let bundleText: string;
let forbidden: string[];
let app: ReturnType<typeof createNeutralApp>;
let runtimeGlobals: unknown;

beforeAll(async () => {
  forbidden = [];
  const result = await build({
    entryPoints: [path.join(here, 'neutralApp.ts')],
    bundle: true,
    platform: 'neutral',
    format: 'iife',
    globalName: 'neutralBundle',
    mainFields: ['module', 'main'],
    target: 'es2022',
    write: false,
    logLevel: 'silent',
    plugins: [
      {
        name: 'no-node-builtins',
        setup(builder) {
          builder.onResolve({ filter: /.*/ }, (args) => {
            const bare = args.path.replace(/^node:/, '').split('/')[0]!;
            if (args.path.startsWith('node:') || builtinModules.includes(bare)) {
              forbidden.push(`${args.path} (imported by ${path.relative(here, args.importer)})`);
              return { path: args.path, external: true };
            }
            return undefined;
          });
        },
      },
    ],
  });
  bundleText = result.outputFiles[0]!.text;
  const context = vm.createContext({ ...WEB_GLOBALS });
  vm.runInContext(bundleText, context, { filename: 'neutral-bundle.js' });
  const exported = vm.runInContext('neutralBundle', context) as { createNeutralApp: typeof createNeutralApp };
  runtimeGlobals = vm.runInContext('[typeof process, typeof require, typeof Buffer, typeof global, typeof module]', context);
  app = exported.createNeutralApp({ ...credentials, tokenSecrets: `edge-1:${tokenSecret}` });
}, 60_000);

const form = (body: string, headers: Record<string, string> = {}) =>
  new Request('https://app.example/api/realtime/auth', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body,
  });

describe('the route handlers on a runtime with Web APIs only', () => {
  it('bundle for the neutral platform with no Node built-in import', () => {
    expect(forbidden).toEqual([]);
    expect(bundleText.length).toBeGreaterThan(10_000);
    expect(bundleText).toContain('x-pusher-signature');
  });

  it('the vm context really has no process, require, Buffer, global or module', () => {
    expect(runtimeGlobals).toEqual(['undefined', 'undefined', 'undefined', 'undefined', 'undefined']);
  });

  it('signs private and presence channels equal to the official SDK, refuses what the policy refuses', async () => {
    const ok = await app.handler(form('socket_id=1.2&channel_name=private-orders.42', { cookie: 'session=alice' }));
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual(reference.authorizeChannel('1.2', 'private-orders.42'));
    const presence = await app.handler(form('socket_id=1.2&channel_name=presence-room.1', { cookie: 'session=alice' }));
    expect(await presence.json()).toEqual(reference.authorizeChannel('1.2', 'presence-room.1', { user_id: 'u1', user_info: { name: 'Alice' } }));
    const refused = await app.handler(form('socket_id=1.2&channel_name=private-orders.43', { cookie: 'session=alice' }));
    expect(refused.status).toBe(403);
    const anonymous = await app.handler(form('socket_id=1.2&channel_name=private-orders.42'));
    expect(anonymous.status).toBe(401);
    const malformed = await app.handler(form('socket_id=12&channel_name=private-orders.42', { cookie: 'session=alice' }));
    expect(malformed.status).toBe(400);
  });

  it('issues a jose JWT there that verifies here, and accepts it back as a bearer token', async () => {
    const response = await app.handler(new Request('https://app.example/api/realtime/token', { headers: { cookie: 'session=alice' } }));
    expect(response.status).toBe(200);
    const { token, provider } = (await response.json()) as { token: string; provider: string };
    expect(provider).toBe('soketi');
    const { payload, protectedHeader } = await jwtVerify(token, new TextEncoder().encode(tokenSecret));
    expect(protectedHeader.kid).toBe('edge-1');
    expect(payload).toMatchObject({ scope: 'realtime', sub: 'u1' });
    const userAuth = await app.handler(
      new Request('https://app.example/api/realtime/user-auth', {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ socket_id: '3.4' }),
      }),
    );
    expect(await userAuth.json()).toEqual(reference.authenticateUser('3.4', { id: 'u1' }));
  });

  it('verifies webhook signatures with Web Crypto, and the Next adapter routes by the catch-all segment', async () => {
    const sentAt = Date.now();
    const body = JSON.stringify({ time_ms: sentAt, events: [{ name: 'channel_occupied', channel: 'private-orders.42' }] });
    const signature = createHmac('sha256', credentials.secret).update(body).digest('hex');
    const webhook = (sig: string) =>
      new Request('https://app.example/api/realtime/webhook', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-pusher-key': credentials.key, 'x-pusher-signature': sig },
        body,
      });
    expect((await app.next.POST(webhook(signature), { params: Promise.resolve({ path: ['webhook'] }) })).status).toBe(200);
    expect((await app.next.POST(webhook('0'.repeat(64)), { params: Promise.resolve({ path: ['webhook'] }) })).status).toBe(401);
    expect(app.received).toEqual([{ type: 'channel_occupied', channel: 'private-orders.42', time: sentAt }]);
  });
});
