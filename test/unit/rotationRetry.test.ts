import { describe, expect, it } from 'vitest';
import { parseKeyring } from '../../src/core/keyring.js';
import type { ServerProvider } from '../../src/core/provider.js';
import { REAUTH_REQUIRED_EVENT, SYSTEM_CHANNEL } from '../../src/core/systemEvents.js';
import { getMemoryHub } from '../../src/providers/memory/hub.js';
import { createConnectionGuard } from '../../src/server/connections/connectionGuard.js';
import { createRealtime, type Realtime } from '../../src/server/realtime.js';
import { createSecretRotation } from '../../src/server/rotation/rotation.js';
import { createRotatingKeyring } from '../../src/server/rotation/rotatingKeyring.js';
import { createMemoryStore } from '../../src/server/state/memoryStore.js';
import { eventually } from '../support/events.js';

/** A provider outage at the deadline must not retire the old key with stale connections still open. */
describe('rotation when the provider fails at the deadline', () => {
  it('keeps the old key, retries on its own, and completes once the provider answers again', async () => {
    const hubName = `retry-${Math.random()}`;
    const base = createRealtime({ provider: 'memory', hub: hubName });
    const real = await base.getProvider();
    let failures = 1;
    const terminated: string[] = [];
    const flaky: ServerProvider = {
      ...real,
      async terminateUserConnections(userId, reason) {
        if (failures-- > 0) throw new Error('provider down');
        terminated.push(`${userId}:${reason?.reason}`);
        return real.terminateUserConnections(userId, reason);
      },
    };
    const realtime: Realtime = { ...base, getProvider: async () => flaky };
    const store = createMemoryStore();
    const keyring = createRotatingKeyring({ keyring: parseKeyring('old:old-secret-0123456789,new:new-secret-0123456789'), store });
    const guard = createConnectionGuard({ realtime, store, keyring });
    const rotation = createSecretRotation({ realtime, store, keyring, propagationMs: 0, retryMs: 50 });
    const errors: unknown[] = [];
    const originalError = console.error;
    console.error = (...args: unknown[]) => errors.push(args);
    try {
      await guard.hooks.onUserAuthenticate({ user: { id: 'stale' }, socketId: '1.1' });
      const started = await rotation.start({ toKid: 'new', graceMs: 0 });
      expect(getMemoryHub(hubName).published.at(-1)).toMatchObject({ channels: [SYSTEM_CHANNEL], event: REAUTH_REQUIRED_EVENT, data: { rotationId: started.id } });

      await eventually(async () => expect(errors.length).toBe(1), 2000);
      // The first attempt failed: the old key still verifies and the connection is still pending.
      expect(keyring.find('old')).toBeDefined();
      expect(await rotation.status()).toMatchObject({ pending: 1, closed: 0 });

      await eventually(async () => expect((await rotation.status())?.phase).toBe('completed'), 2000);
      expect(await rotation.status()).toMatchObject({ pending: 0, closed: 1, reauthenticated: 0 });
      expect(terminated).toEqual(['stale:reauth_deadline_passed']);
      expect(keyring.find('old')).toBeUndefined();
    } finally {
      console.error = originalError;
      rotation.dispose();
      keyring.dispose();
      guard.dispose();
    }
  });
});
