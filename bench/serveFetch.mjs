// Serves the library's fetch route handler (createRealtimeFetchHandler) over node:http, the way a
// Next.js instance would run it, and counts requests per 100 ms slot by path.
import { createServer } from 'node:http';

const PREFIX = '/api/realtime/';

export async function serveFetch(handler, { host = '127.0.0.1' } = {}) {
  /** path -> Map<slot, count>, slot = Date.now() / 100. */
  const counts = new Map();
  const server = createServer(async (incoming, outgoing) => {
    const url = new URL(incoming.url, `http://${host}`);
    const perSlot = counts.get(url.pathname) ?? counts.set(url.pathname, new Map()).get(url.pathname);
    const slot = Math.floor(Date.now() / 100);
    perSlot.set(slot, (perSlot.get(slot) ?? 0) + 1);
    try {
      const chunks = [];
      for await (const chunk of incoming) chunks.push(chunk);
      const headers = Object.entries(incoming.headers).flatMap(([name, value]) => (Array.isArray(value) ? value.map((v) => [name, v]) : [[name, String(value)]]));
      const request = new Request(url, { method: incoming.method, headers, ...(incoming.method === 'POST' ? { body: Buffer.concat(chunks) } : {}) });
      const response = await handler(request, url.pathname.startsWith(PREFIX) ? url.pathname.slice(PREFIX.length) : url.pathname);
      outgoing.writeHead(response.status, Object.fromEntries(response.headers));
      outgoing.end(Buffer.from(await response.arrayBuffer()));
    } catch (error) {
      outgoing.writeHead(500, { 'content-type': 'application/json' });
      outgoing.end(JSON.stringify({ error: { code: 'bench_server', message: String(error) } }));
    }
  });
  // Longer than any client's idle keep-alive (undici: 4 s): otherwise, on a loaded machine, a
  // client reuses a socket the server is just closing and the request fails (UND_ERR_SOCKET), as
  // behind any load balancer with a shorter idle timeout than the app's.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  await new Promise((resolve) => server.listen(0, host, resolve));
  return {
    base: `http://${host}:${server.address().port}`,
    port: server.address().port,
    /** Requests per 100 ms slot since `from` (ms), for every path or the paths given. */
    slots(from, paths) {
      const merged = new Map();
      for (const [path, perSlot] of counts) {
        if (paths && !paths.includes(path)) continue;
        for (const [slot, count] of perSlot) if (slot >= Math.floor(from / 100)) merged.set(slot, (merged.get(slot) ?? 0) + count);
      }
      return merged;
    },
    async close() {
      server.closeAllConnections?.();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** The most requests in any one second (ten consecutive 100 ms slots). */
export function peakPerSecond(slots) {
  let peak = 0;
  for (const slot of slots.keys()) {
    let sum = 0;
    for (let k = 0; k < 10; k++) sum += slots.get(slot + k) ?? 0;
    peak = Math.max(peak, sum);
  }
  return peak;
}

export const total = (slots) => [...slots.values()].reduce((sum, count) => sum + count, 0);
