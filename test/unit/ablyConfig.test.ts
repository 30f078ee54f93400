import { decodeProtectedHeader } from 'jose';
import type { TokenAuth } from '../../src/core/providerParts.js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { tokenFetcherFor } from '../../src/client/credentials.js';
import { clientOptionsFromEnv } from '../../src/client/options.js';
import { loadConfigFromEnv } from '../../src/server/config.js';
import { isRealtimeError } from '../../src/core/errors.js';
import { createRealtime } from '../../src/server/index.js';

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('Ably configuration', () => {
  it('ABLY_API_KEY with commas is a keyring: the first key signs client tokens', async () => {
    const config = loadConfigFromEnv({ REALTIME_PROVIDER: 'ably', ABLY_API_KEY: 'app.new:new-secret, app.old:old-secret', ABLY_MAX_MESSAGE_SIZE_IN_KB: '16' });
    const realtime = createRealtime(config);
    expect(realtime.limits.maxPayloadBytes).toBe(16 * 1024);
    const provider = await realtime.getProvider();
    expect(provider.name).toBe('ably');
    const { token } = await (realtime.auth as TokenAuth).issueClientToken({ userId: 'u', grants: [], ttlSeconds: 60 });
    expect(decodeProtectedHeader(token).kid).toBe('app.new');
    await realtime.close();
  });

  it('names the variable when the key is malformed', () => {
    expect(() => loadConfigFromEnv({ REALTIME_PROVIDER: 'ably', ABLY_API_KEY: 'no-secret-here' })).toThrow(/apiKeys\.0: must look like "appId\.keyId:secret"/);
  });

  it('client options from NEXT_PUBLIC_ABLY_* (no key: the browser only ever sees tokens)', () => {
    vi.stubEnv('NEXT_PUBLIC_REALTIME_PROVIDER', 'ably');
    expect(clientOptionsFromEnv()).toEqual({ provider: 'ably' });
    vi.stubEnv('NEXT_PUBLIC_ABLY_ENDPOINT', 'localhost');
    vi.stubEnv('NEXT_PUBLIC_ABLY_PORT', '8081');
    vi.stubEnv('NEXT_PUBLIC_ABLY_TLS', 'false');
    expect(clientOptionsFromEnv()).toEqual({ provider: 'ably', endpoint: 'localhost', port: 8081, tls: false });
  });
});

describe('default token fetcher', () => {
  it('GETs the token endpoint with one channel parameter per channel', async () => {
    const requests: string[] = [];
    const fetcher = tokenFetcherFor({
      provider: 'ably',
      tokenEndpoint: '/api/realtime/token',
      fetch: (async (url: string) => {
        requests.push(url);
        return Response.json({ token: 'jwt', expiresAt: 123, provider: 'ably' });
      }) as typeof fetch,
    })!;
    expect(await fetcher({ channels: ['a,b', 'private-c'] })).toEqual({ token: 'jwt', expiresAt: 123 });
    expect(requests).toEqual(['/api/realtime/token?channel=a%2Cb&channel=private-c']);
  });

  it('maps a refusal to its code', async () => {
    const fetcher = tokenFetcherFor({ provider: 'ably', fetch: (async () => new Response('{}', { status: 401 })) as unknown as typeof fetch })!;
    const error = await fetcher({ channels: [] }).catch((caught: unknown) => caught);
    expect(isRealtimeError(error, 'unauthorized')).toBe(true);
  });
});
