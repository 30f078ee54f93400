// Subscribers for the scenarios: the library's client and raw pusher-js, pointed at one Soketi.
import PusherModule from 'pusher-js';
import { createRealtimeClient } from '../../dist/client/index.js';

export const PusherJs = PusherModule.default ?? PusherModule;

export function rawPusherJs(soketi, options = {}) {
  return new PusherJs(soketi.key, {
    cluster: 'mt1', wsHost: soketi.host, wsPort: soketi.port, forceTLS: false, enabledTransports: ['ws'], disableStats: true, ...options,
  });
}

export function libraryClient(soketi, options = {}) {
  return createRealtimeClient({ provider: 'soketi', key: soketi.key, host: soketi.host, port: soketi.port, tokenEndpoint: false, ...options });
}

export function rawSubscribed(channel) {
  return new Promise((resolve, reject) => {
    if (channel.subscribed) return resolve();
    channel.bind('pusher:subscription_succeeded', resolve);
    channel.bind('pusher:subscription_error', reject);
  });
}

/** Opens `count` connections, `parallel` at a time (a burst of thousands at once times out). */
export async function inBatches(count, parallel, open) {
  const opened = [];
  for (let start = 0; start < count; start += parallel) {
    opened.push(...(await Promise.all(Array.from({ length: Math.min(parallel, count - start) }, (_, i) => open(start + i)))));
  }
  return opened;
}
