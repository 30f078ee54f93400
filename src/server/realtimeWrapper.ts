import type { Realtime } from './realtime.js';

/**
 * A wrapper of a Realtime (withEvents, withHistory): `own` replaces some members, every other one
 * is passed through to `realtime`. The pass-through members are getters and calls, never copied
 * values: the environment is read when first needed (createRealtime), not when wrapped, and
 * history reads of a withHistory underneath stay reachable through any wrapper on top.
 */
export function wrapRealtime<Own extends object>(realtime: Realtime, own: Own): Omit<Realtime, keyof Own> & Own {
  const passed: Realtime = {
    get provider() {
      return realtime.provider;
    },
    get config() {
      return realtime.config;
    },
    get limits() {
      return realtime.limits;
    },
    get auth() {
      return realtime.auth;
    },
    publish: (channel, event, data, options) => realtime.publish(channel, event, data, options),
    publishBatch: (items) => realtime.publishBatch(items),
    terminateUser: (userId) => realtime.terminateUser(userId),
    onUserTerminated: (listener) => realtime.onUserTerminated?.(listener) ?? (() => undefined),
    getProvider: () => realtime.getProvider(),
    ...(realtime.history && realtime.historyBounds ? { history: realtime.history, historyBounds: realtime.historyBounds } : {}),
    close: () => realtime.close(),
  };
  // Descriptors, not a spread: a getter among `own`'s members stays a getter.
  return Object.defineProperties(passed, Object.getOwnPropertyDescriptors(own)) as unknown as Omit<Realtime, keyof Own> & Own;
}
