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

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  const server = createServer((browser) => {
    const upstream = connect(target.port, target.host);
    for (const socket of [browser, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    browser.pipe(upstream).pipe(browser);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    cut() {
      server.close();
      for (const socket of sockets) socket.destroy();
    },
  };
}
