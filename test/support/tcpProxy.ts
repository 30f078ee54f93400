import { connect, createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A TCP hop between one browser and the realtime server, so a test can kill the connection the
 * way a crashed browser or a dead network does: no WebSocket close frame, the TCP connection just
 * ends. Works the same for every provider (Soketi, the Ably stand-in).
 */
export interface TcpProxy {
  readonly port: number;
  /** Destroys every connection through the proxy and stops accepting new ones. */
  cut(): void;
}

/** `delayMs`: each new connection is held that long before it is forwarded (a slow server or network). */
export async function startTcpProxy(target: { host: string; port: number }, { delayMs = 0 }: { delayMs?: number } = {}): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  const held = new Set<ReturnType<typeof setTimeout>>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  };
  const forward = (browser: Socket) => {
    if (browser.destroyed) return;
    const upstream = connect(target.port, target.host);
    track(upstream);
    browser.pipe(upstream).pipe(browser);
  };
  const server = createServer((browser) => {
    track(browser);
    if (delayMs <= 0) return forward(browser);
    // What the browser sends meanwhile waits in the socket (a readable stream starts paused).
    const timer = setTimeout(() => {
      held.delete(timer);
      forward(browser);
    }, delayMs);
    held.add(timer);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    cut() {
      server.close();
      for (const timer of held) clearTimeout(timer);
      for (const socket of sockets) socket.destroy();
    },
  };
}
