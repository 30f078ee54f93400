import { describe, expect, it } from 'vitest';

describe('entry points are safe to import on the server', () => {
  it('next-realtime/client touches no window or document at import time', async () => {
    expect(typeof (globalThis as { window?: unknown }).window).toBe('undefined');
    const client = await import('../../src/client/index.js');
    expect(typeof client.createRealtimeClient).toBe('function');
  });

  it('creating a client does not connect until something subscribes or connects', async () => {
    const { createRealtimeClient } = await import('../../src/client/index.js');
    const client = createRealtimeClient({ provider: 'soketi', key: 'k', host: '127.0.0.1', port: 1 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(client.state).toBe('idle');
    expect(client.socketId).toBeUndefined();
  });
});
