// @vitest-environment happy-dom
import { beforeAll, describe, expect, it } from 'vitest';

/**
 * What the page's fetch sends once a client exists: X-Socket-ID on Next's server-action requests
 * (a `Next-Action` header, this origin), nothing on any other request. The same wrapper runs in
 * Chromium in test/consumer (direct calls, `<form action>`, several tabs).
 */
const seen: Array<{ url: string; headers: Headers }> = [];
let sendSocketIdWithServerActions: typeof import('../../src/client/serverActionSocketId.js').sendSocketIdWithServerActions;

beforeAll(async () => {
  window.fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    seen.push({ url: input instanceof Request ? input.url : String(input), headers: new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined)) });
    return new Response('ok');
  }) as typeof fetch;
  ({ sendSocketIdWithServerActions } = await import('../../src/client/serverActionSocketId.js'));
});

async function send(input: RequestInfo | URL, init?: RequestInit): Promise<Headers> {
  await window.fetch(input, init);
  return seen.at(-1)!.headers;
}

describe('server actions carry the socket id of this tab', () => {
  const client = { socketId: undefined as string | undefined };

  it('adds nothing while no client is connected', async () => {
    sendSocketIdWithServerActions(client);
    expect((await send('/orders', { method: 'POST', headers: { 'Next-Action': 'abc' } })).get('x-socket-id')).toBeNull();
  });

  it("adds the connected client's socket id to a server action, keeping Next's headers and body", async () => {
    client.socketId = '123.456';
    const headers = await send(window.location.href, { method: 'POST', headers: { 'Next-Action': 'abc', Accept: 'text/x-component' }, body: 'x' });
    expect(headers.get('x-socket-id')).toBe('123.456');
    expect(headers.get('next-action')).toBe('abc');
    expect(headers.get('accept')).toBe('text/x-component');
  });

  it('leaves other requests, other origins and an explicit socket id alone', async () => {
    expect((await send('/api/messages', { method: 'POST' })).get('x-socket-id')).toBeNull();
    expect((await send('https://elsewhere.example/x', { method: 'POST', headers: { 'Next-Action': 'abc' } })).get('x-socket-id')).toBeNull();
    expect((await send('/orders', { method: 'POST', headers: { 'Next-Action': 'abc', 'X-Socket-ID': '9.9' } })).get('x-socket-id')).toBe('9.9');
  });

  it('the latest connected client wins; a disconnected one adds nothing', async () => {
    const second = { socketId: '777.888' as string | undefined };
    sendSocketIdWithServerActions(second);
    expect((await send('/orders', { method: 'POST', headers: { 'Next-Action': 'abc' } })).get('x-socket-id')).toBe('777.888');
    second.socketId = undefined;
    expect((await send('/orders', { method: 'POST', headers: { 'Next-Action': 'abc' } })).get('x-socket-id')).toBe('123.456');
  });
});
