// One client process of the reconnect storm (bench/scenarios/reconnectStorm.mjs forks several, so
// the figure measures the clients' reconnect strategy, not one starved event loop holding all of
// them): `count` clients of one kind, each subscribed to its own private channel through the
// app's route handlers, the library's client or raw pusher-js, both with their defaults.
// Reports through IPC: `subscribed` once all are, then the times of resubscriptions after `arm`.
import { nodeFetch } from '../nodeFetch.mjs';
import { libraryClient, rawPusherJs } from './clients.mjs';

const config = JSON.parse(process.env.STORM_CLIENTS);
const soketi = config.soketi;
const clients = [];
let armed = false;
/** Resubscription times (Date.now()) not yet sent to the orchestrator. */
let pending = [];
const back = new Set();
/** Connection re-established (before the channel is), times not yet sent. */
let pendingConnected = [];
const connectedAgain = new Set();
/** Channel authorizations that failed after the restart (the app answering 5xx or timing out). */
let subscriptionErrors = 0;
function reconnected(index) {
  if (!armed || connectedAgain.has(index)) return;
  connectedAgain.add(index);
  pendingConnected.push(Date.now());
}

function resubscribed(index) {
  if (!armed || back.has(index)) return;
  back.add(index);
  pending.push(Date.now());
}

function openRaw(index) {
  return new Promise((resolve, reject) => {
    // pusher-js with its defaults: its own reconnect, its own channel authorizer.
    const client = rawPusherJs(soketi, {
      channelAuthorization: { endpoint: `${config.base}/api/realtime/auth`, transport: 'ajax', headers: { 'x-bench-user': `u${index}` } },
    });
    clients.push(client);
    client.connection.bind('connected', () => reconnected(index));
    const channel = client.subscribe(`private-storm.${index}`);
    channel.bind('pusher:subscription_error', (error) => {
      if (armed) subscriptionErrors += 1;
      reject(new Error(`subscription refused: ${JSON.stringify(error)}`));
    });
    channel.bind('pusher:subscription_succeeded', () => {
      resubscribed(index);
      resolve();
    });
  });
}

function openLibrary(index) {
  // The library's client with its defaults: a token before every attempt, full jitter, signing in.
  const client = libraryClient(soketi, {
    tokenEndpoint: `${config.base}/api/realtime/token`,
    authEndpoint: `${config.base}/api/realtime/auth`,
    userAuthEndpoint: `${config.base}/api/realtime/user-auth`,
    headers: { 'x-bench-user': `u${index}` },
    // The HTTP stack a browser brings; pusher-js uses node:http here too (see bench/nodeFetch.mjs).
    fetch: nodeFetch,
  });
  clients.push(client);
  client.onStateChange((state) => state === 'connected' && reconnected(index));
  const channel = `private-storm.${index}`;
  client.on('subscribed', (event) => event.channel === channel && resubscribed(index));
  client.on('subscription_error', (event) => armed && event.channel === channel && (subscriptionErrors += 1));
  client.subscribe(channel, 'tick', () => undefined);
  return client.whenSubscribed(channel);
}

function flush() {
  if (pending.length === 0 && pendingConnected.length === 0) return;
  process.send({ type: 'resubscribed', times: pending, connected: pendingConnected });
  pending = [];
  pendingConnected = [];
}

const open = config.kind === 'library' ? openLibrary : openRaw;

function states() {
  const counted = {};
  for (const client of clients) {
    const state = client.connection?.state ?? client.state;
    counted[state] = (counted[state] ?? 0) + 1;
  }
  return counted;
}

process.on('message', async (message) => {
  if (message.type === 'connect') {
    try {
      for (let offset = 0; offset < config.count; offset += config.parallel) {
        const batch = [];
        for (let index = offset; index < Math.min(offset + config.parallel, config.count); index++) batch.push(open(config.first + index));
        await Promise.all(batch);
      }
      process.send({ type: 'subscribed' });
    } catch (error) {
      process.send({ type: 'error', message: String(error?.stack ?? error) });
      setTimeout(() => process.exit(1), 100);
    }
  } else if (message.type === 'arm') {
    armed = true;
    process.send({ type: 'armed' });
    // Resubscription times in batches, a few times a second (one IPC message per client would be
    // 5,000 messages competing with the clients for this process's event loop).
    setInterval(flush, 200).unref();
  } else if (message.type === 'report') {
    flush();
    process.send({ type: 'report', states: states(), subscriptionErrors });
  } else if (message.type === 'stop') {
    for (const client of clients) client.disconnect();
    setTimeout(() => process.exit(0), 200);
  }
});
process.send({ type: 'ready' });
// The orchestrator is gone: nothing will stop this process otherwise.
process.on('disconnect', () => process.exit(0));
