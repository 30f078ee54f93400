/**
 * Bundled by neutralRuntime.test.ts with esbuild (platform 'neutral') and run inside a node:vm
 * context that has Web globals only. Everything below, including the app's policy and session
 * lookup, runs inside that context.
 */
import { defineChannels } from '../../src/core/channelPolicy.js';
import { parseConfig } from '../../src/server/config.js';
import { createRealtimeFetchHandler, createRealtimeHandlers, type RealtimeWebhookEvent } from '../../src/next/index.js';

export function createNeutralApp(options: { key: string; secret: string; tokenSecrets: string }) {
  const received: RealtimeWebhookEvent[] = [];
  const handlerOptions = {
    realtime: {
      provider: 'soketi' as const,
      config: parseConfig({ provider: 'soketi', appId: 'app-id', key: options.key, secret: options.secret }),
      getProvider: () => Promise.reject(new Error('publishing is not part of this bundle')),
    },
    channels: defineChannels({
      'private-orders.{orderId}': (user: { id: string }, { orderId }) => user.id === 'u1' && orderId === '42',
      'presence-room.{roomId}': async (user: { id: string }, { roomId }) => roomId === '1' && { id: user.id, info: { name: 'Alice' } },
    }),
    getUser: (request: Request) => (request.headers.get('cookie') === 'session=alice' ? { id: 'u1' } : null),
    tokenSecrets: options.tokenSecrets,
    webhook: { onEvents: (events: RealtimeWebhookEvent[]) => void received.push(...events) },
  };
  return {
    handler: createRealtimeFetchHandler(handlerOptions),
    next: createRealtimeHandlers(handlerOptions),
    received,
  };
}
