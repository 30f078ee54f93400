// One "Next.js instance" of the rotation benchmark: the library's route handlers
// (createRealtimeFetchHandler) over node:http, with connection control (limits, rotation) over
// the shared Redis. Forked by bench/rotation.mjs; answers its IPC messages.
import { defineChannels } from '../../dist/index.js';
import { createRealtimeFetchHandler } from '../../dist/next/index.js';
import { createConnectionControl, createRealtime, createStateStore } from '../../dist/server/index.js';
import { serveFetch } from '../serveFetch.mjs';

const config = JSON.parse(process.env.ROTATION_APP);
const realtime = createRealtime({ provider: 'soketi', ...config.soketi });
const control = createConnectionControl({
  realtime,
  tokenSecrets: config.tokenSecrets,
  store: config.redisUrl ? createStateStore({ redisUrl: config.redisUrl, prefix: config.redisPrefix }) : undefined,
  maxPerUser: 5,
});
const handler = createRealtimeFetchHandler({
  realtime,
  channels: defineChannels({ 'private-inbox.{userId}': (user, { userId }) => user.id === userId }),
  // The "session": who the client says it is (a cookie in a browser). A request without it must
  // carry a bearer token, which is then the only proof of identity.
  getUser: (request) => {
    const id = request.headers.get('x-bench-user');
    return id ? { id } : null;
  },
  userFromToken: (claims) => ({ id: String(claims.sub) }),
  tokenSecrets: control.keyring,
  hooks: control.hooks,
});
const served = await serveFetch(handler);

process.on('message', async (message) => {
  try {
    if (message.type === 'rotate') {
      const status = await control.rotation.start({ toKid: message.toKid, graceMs: message.graceMs });
      process.send({ type: 'rotated', status });
    } else if (message.type === 'status') {
      process.send({ type: 'status', status: await control.rotation.status(message.id) });
    } else if (message.type === 'slots') {
      process.send({ type: 'slots', slots: [...served.slots(message.from, message.paths)] });
    } else if (message.type === 'stop') {
      control.dispose();
      await served.close();
      await realtime.close();
      await control.store.close?.();
      process.send({ type: 'stopped' });
      process.exit(0);
    }
  } catch (error) {
    process.send({ type: 'error', message: String(error?.stack ?? error) });
  }
});
process.send({ type: 'ready', base: served.base, port: served.port });
// The orchestrator is gone (killed): nothing will stop this process otherwise.
process.on('disconnect', () => process.exit(0));
