import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { renderToString } from 'react-dom/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  RealtimeProvider,
  useChannel,
  useConnectionState,
  useEvent,
  usePresence,
  useSocketId,
} from '../../src/client/react/index.js';

/**
 * Server rendering (Node, no DOM): the provider and every hook render, and nothing connects,
 * fetches a token or reads `window`. A TCP listener stands where Soketi would be and counts
 * connection attempts.
 */
describe('server rendering', () => {
  let server: Server;
  let connections = 0;
  beforeAll(async () => {
    server = createServer((socket) => {
      connections += 1;
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('renders every hook with renderToString without connecting, fetching a token or touching window', async () => {
    expect(typeof (globalThis as { window?: unknown }).window).toBe('undefined');
    let windowReads = 0;
    Object.defineProperty(globalThis, 'window', {
      configurable: true,
      get() {
        windowReads += 1;
        return undefined;
      },
    });
    let tokenFetches = 0;
    const handled: unknown[] = [];
    function Page() {
      const state = useConnectionState();
      const socketId = useSocketId();
      const chat = useChannel('private-chat.1');
      const room = usePresence('presence-room.1');
      useEvent('news', 'headline', (data) => handled.push(data));
      return (
        <p>
          {state}|{socketId ?? 'no-socket'}|{chat.status}|{room.members.length}
        </p>
      );
    }
    try {
      const html = renderToString(
        <RealtimeProvider
          options={{
            provider: 'soketi',
            key: 'app-key',
            host: '127.0.0.1',
            port: (server.address() as AddressInfo).port,
            getCredentials: async () => {
              tokenFetches += 1;
              return { token: 't', expiresAt: Date.now() + 60_000 };
            },
          }}
        >
          <Page />
        </RealtimeProvider>,
      );
      expect(html.replaceAll('<!-- -->', '')).toBe('<p>idle|no-socket|pending|0</p>');
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(connections).toBe(0);
      expect(tokenFetches).toBe(0);
      expect(handled).toEqual([]);
      expect(windowReads).toBe(0);
    } finally {
      delete (globalThis as { window?: unknown }).window;
    }
  });
});
