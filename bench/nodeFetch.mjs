// A minimal `fetch` over node:http with one keep-alive agent, for the benchmarks' simulated
// browsers (the client's `fetch` option). Node 20's global fetch (undici) costs several ms of CPU
// per request on this machine: with 10,000 clients in one process it, not the library, would be
// what the benchmark measures. Browsers bring their own HTTP stack.
import { Agent, request } from 'node:http';

const agent = new Agent({ keepAlive: true, maxSockets: 256 });

export function nodeFetch(url, init = {}) {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const body = init.body === undefined ? undefined : String(init.body);
    const headers = { ...init.headers };
    if (body !== undefined && !Object.keys(headers).some((name) => name.toLowerCase() === 'content-type')) {
      headers['content-type'] = init.body instanceof URLSearchParams ? 'application/x-www-form-urlencoded' : 'text/plain;charset=UTF-8';
    }
    const outgoing = request({ host: target.hostname, port: target.port, path: `${target.pathname}${target.search}`, method: init.method ?? 'GET', headers, agent }, (incoming) => {
      let text = '';
      incoming.setEncoding('utf8');
      incoming.on('data', (chunk) => (text += chunk));
      incoming.on('error', reject);
      incoming.on('end', () => {
        const status = incoming.statusCode;
        resolve({
          ok: status >= 200 && status < 300,
          status,
          headers: { get: (name) => incoming.headers[name.toLowerCase()] ?? null },
          text: async () => text,
          json: async () => JSON.parse(text),
        });
      });
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}
