// One client process of the rotation benchmark: `count` connections through the library's own
// client (createRealtimeClient: a token before every connect, sign-in, its connection channel,
// the system channel, in-place re-authentication on `reauth_required`). All connections of this
// process go to one loopback address (127.0.0.N): one address pair has only ~28,000 ports.
// Forked by bench/rotation.mjs; reports through IPC.
import { createRealtimeClient } from '../../dist/client/index.js';
import { nodeFetch } from '../nodeFetch.mjs';

const config = JSON.parse(process.env.ROTATION_CLIENTS);
const clients = [];
/** An error with the causes undici hides behind "fetch failed". */
const describe = (error) => {
  const parts = [];
  for (let cause = error; cause && parts.length < 4; cause = cause.cause) parts.push(cause.code ?? cause.message ?? String(cause));
  return parts.join(' <- ');
};
const stats = {
  connected: 0,
  reauthenticated: 0,
  reauthFailed: 0,
  /** Left `connected` after the first connect, while not told the connection was closed for good. */
  drops: 0,
  /** Of those, after the rotation started. */
  dropsDuringRotation: 0,
  /** Clients that re-authenticated and still lost their connection after the rotation started. */
  forcedAmongReauthenticated: 0,
  /** Closed by the server after the deadline (deliberately deaf clients, and anyone late). */
  closed: 0,
  reauthenticatedAt: [],
  errors: [],
};
let rotationStartedAt = Infinity;

function open(index) {
  const user = `${config.userPrefix}${index}`;
  const deaf = config.deaf.includes(index);
  const app = config.apps[index % config.apps.length];
  const node = config.nodes[index % config.nodes.length];
  const client = createRealtimeClient({
    provider: 'soketi',
    key: config.key,
    host: config.host,
    port: node,
    useTLS: false,
    signIn: true,
    tokenEndpoint: `${app}/api/realtime/token`,
    authEndpoint: `${app}/api/realtime/auth`,
    userAuthEndpoint: `${app}/api/realtime/user-auth`,
    headers: { 'x-bench-user': user },
    fetch: nodeFetch,
    reauthSpreadMs: config.reauthSpreadMs,
    // A client that does not know about rotations (an old app version): it will be closed.
    ...(deaf ? { systemEvents: false } : {}),
  });
  let wasConnected = false;
  let closedForGood = false;
  let reauthenticated = false;
  let droppedDuringRotation = false;
  const countForced = () => {
    if (reauthenticated && droppedDuringRotation) stats.forcedAmongReauthenticated++;
  };
  client.onStateChange((state, error) => {
    if (state === 'connected') {
      if (!wasConnected) stats.connected++;
      wasConnected = true;
      return;
    }
    if (!wasConnected) return;
    if (state === 'disconnected' && error) {
      closedForGood = true;
      stats.closed++;
      if (reauthenticated) stats.forcedAmongReauthenticated++;
      return;
    }
    if (!closedForGood && state !== 'connecting') {
      stats.drops++;
      if (Date.now() >= rotationStartedAt && !droppedDuringRotation) {
        stats.dropsDuringRotation++;
        droppedDuringRotation = true;
        countForced();
      }
      if (stats.errors.length < 5) stats.errors.push(`client ${index} ${state}: ${error ? describe(error) : ''}`);
    }
  });
  client.on('reauthenticated', () => {
    if (reauthenticated) return;
    reauthenticated = true;
    countForced();
    stats.reauthenticated++;
    stats.reauthenticatedAt.push(Date.now() - rotationStartedAt);
  });
  client.on('reauth_failed', (error) => {
    stats.reauthFailed++;
    if (stats.errors.length < 5) stats.errors.push(`client ${index} reauth_failed: ${describe(error)}`);
  });
  client.subscribe(`private-inbox.${user}`, 'note', () => undefined);
  clients.push(client);
  return client.whenSubscribed(`private-inbox.${user}`);
}

process.on('message', async (message) => {
  if (message.type === 'connect') {
    const started = Date.now();
    for (let offset = 0; offset < config.count; offset += config.parallel) {
      const batch = [];
      for (let index = offset; index < Math.min(offset + config.parallel, config.count); index++) batch.push(open(config.first + index).catch((error) => stats.errors.length < 5 && stats.errors.push(describe(error))));
      await Promise.all(batch);
      process.send({ type: 'progress', connected: stats.connected, states: countStates(), statuses: countStatuses() });
    }
    process.send({ type: 'connected', connected: stats.connected, ms: Date.now() - started });
  } else if (message.type === 'rotation_started') {
    rotationStartedAt = message.at;
  } else if (message.type === 'report') {
    process.send({ type: 'report', stats: { ...stats, states: countStates() } });
  } else if (message.type === 'stop') {
    for (const client of clients) client.disconnect();
    setTimeout(() => process.exit(0), 200);
  }
});

function countStatuses() {
  const statuses = {};
  clients.forEach((client, i) => { const s = client.subscriptionStatus(`private-inbox.${config.userPrefix}${config.first + i}`) ?? 'none'; statuses[s] = (statuses[s] ?? 0) + 1; });
  return statuses;
}
setInterval(() => process.send({ type: 'progress', connected: stats.connected, states: countStates(), statuses: countStatuses(), errors: stats.errors }), 10_000).unref();

function countStates() {
  const states = {};
  for (const client of clients) states[client.state] = (states[client.state] ?? 0) + 1;
  return states;
}
process.send({ type: 'ready' });
// The orchestrator is gone (killed): nothing will stop this process otherwise.
process.on('disconnect', () => process.exit(0));
