import { describe, expect, it } from 'vitest';
import { loadConfigFromEnv, parseConfig } from '../../src/server/config.js';
import { isRealtimeError } from '../../src/index.js';
import { createRealtime } from '../../src/server/index.js';

function configError(run: () => unknown) {
  try {
    run();
  } catch (error) {
    expect(isRealtimeError(error, 'invalid_config')).toBe(true);
    return error as Error & { details: { problems: string[] } };
  }
  throw new Error('expected an invalid_config error');
}

describe('configuration from the environment', () => {
  it('reads a complete soketi configuration with defaults', () => {
    const config = loadConfigFromEnv({
      REALTIME_PROVIDER: 'soketi', SOKETI_APP_ID: 'id', SOKETI_APP_KEY: 'key', SOKETI_APP_SECRET: 'secret',
      SOKETI_EVENT_MAX_SIZE_IN_KB: '10',
    });
    expect(config).toMatchObject({ provider: 'soketi', host: '127.0.0.1', port: 6001, useTLS: false, maxPayloadBytes: 10240 });
  });

  it('names a missing REALTIME_PROVIDER and the accepted values', () => {
    const error = configError(() => loadConfigFromEnv({}));
    expect(error.message).toMatch(/REALTIME_PROVIDER: is not set; set it to one of soketi, pusher, ably, memory/);
  });

  it('rejects an unknown provider by name', () => {
    expect(configError(() => loadConfigFromEnv({ REALTIME_PROVIDER: 'pubnub' })).message).toMatch(/"pubnub" is not one of/);
  });

  it('reports every missing or malformed variable in ONE error', () => {
    const error = configError(() =>
      loadConfigFromEnv({ REALTIME_PROVIDER: 'pusher', PUSHER_APP_ID: '1', PUSHER_PORT: 'eighty', PUSHER_USE_TLS: 'maybe' }),
    );
    const problems = error.details.problems.join('\n');
    for (const name of ['PUSHER_KEY', 'PUSHER_SECRET', 'PUSHER_CLUSTER', 'PUSHER_PORT', 'PUSHER_USE_TLS']) {
      expect(problems).toContain(name);
    }
    expect(problems).not.toContain('PUSHER_APP_ID');
    expect(error.message).toContain('PUSHER_KEY: is not set');
  });

  it('never echoes a secret in a config error', () => {
    const error = configError(() =>
      loadConfigFromEnv({ REALTIME_PROVIDER: 'soketi', SOKETI_APP_SECRET: 'hunter2-very-secret', SOKETI_PORT: '99999' }),
    );
    expect(error.message).not.toContain('hunter2');
  });

  it('validates config passed in code the same way', () => {
    const error = configError(() => parseConfig({ provider: 'soketi', appId: '', key: 'k', port: 0 }));
    expect(error.details.problems.length).toBeGreaterThanOrEqual(3);
    expect(() => createRealtime({ provider: 'memory' })).not.toThrow();
  });

  it('reads several Ably keys as a keyring', () => {
    const config = loadConfigFromEnv({ REALTIME_PROVIDER: 'ably', ABLY_API_KEY: 'app.new:s1, app.old:s2' });
    expect(config).toMatchObject({ provider: 'ably', apiKeys: ['app.new:s1', 'app.old:s2'] });
    expect(configError(() => loadConfigFromEnv({ REALTIME_PROVIDER: 'ably', ABLY_API_KEY: 'nokey' })).message).toMatch(
      /appId\.keyId:secret/,
    );
  });
});
