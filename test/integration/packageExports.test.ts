import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSoketi, type SoketiProcess } from '../../scripts/soketiProcess.mjs';

const run = promisify(execFile);

/**
 * The built package, imported by name through its `exports` map in a separate Node process, the
 * way an application imports it (npm test builds dist/ first).
 */
describe('the published entry points, used from a plain Node script', () => {
  let soketi: SoketiProcess;
  beforeAll(async () => {
    soketi = await startSoketi({ quiet: true });
  });
  afterAll(async () => {
    await soketi?.stop();
  });

  it('publishes to private-x through next-realtime/server and receives it through next-realtime/client; bad input rejects with a code', async () => {
    const script = `
      import { createRealtime } from 'next-realtime/server';
      import { createRealtimeClient } from 'next-realtime/client';
      import { RealtimeError } from 'next-realtime';
      const soketi = { appId: '${soketi.appId}', key: '${soketi.key}', secret: '${soketi.secret}', host: '127.0.0.1', port: ${soketi.port} };
      const server = createRealtime({ provider: 'soketi', ...soketi });
      const client = createRealtimeClient({
        provider: 'soketi', key: soketi.key, host: soketi.host, port: soketi.port,
        authorizeChannel: async ({ socketId, channel }) => server.auth.authorizeChannel(socketId, channel),
      });
      const received = new Promise((resolve) => client.subscribe('private-x', 'hello', resolve));
      await client.whenSubscribed('private-x');
      await server.publish('private-x', 'hello', { from: 'server' });
      const out = { received: await received, errors: {} };
      const pusher = createRealtime({ provider: 'pusher', appId: '1', key: 'k', secret: 's', cluster: 'eu' });
      const attempts = {
        pusher11KB: () => pusher.publish('orders', 'e', 'x'.repeat(11 * 1024)),
        batchOf11: () => server.publishBatch(Array.from({ length: 11 }, (_, i) => ({ channel: 'orders', event: 'e', data: i }))),
        badChannel: () => server.publish('bad channel!', 'e', 1),
      };
      for (const [name, attempt] of Object.entries(attempts)) {
        try { await attempt(); out.errors[name] = 'resolved'; }
        catch (error) { out.errors[name] = { isRealtimeError: error instanceof RealtimeError, code: error.code }; }
      }
      console.log(JSON.stringify(out));
      client.disconnect();
      await server.close();
      await pusher.close();
    `;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { timeout: 20_000 });
    const result = JSON.parse(stdout.trim().split('\n').pop()!);
    expect(result.received).toEqual({ from: 'server' });
    expect(result.errors).toEqual({
      pusher11KB: { isRealtimeError: true, code: 'payload_too_large' },
      batchOf11: { isRealtimeError: true, code: 'batch_too_large' },
      badChannel: { isRealtimeError: true, code: 'invalid_channel' },
    });
  });
});
