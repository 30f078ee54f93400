import { describe, expect, it } from 'vitest';
import { RealtimeError } from '../../src/index.js';
import { redactedCause, redactSecrets } from '../../src/core/redaction.js';

describe('redactSecrets', () => {
  it('removes signed URL queries, URL credentials, tokens, auth strings, Ably keys and named secrets', () => {
    const signature = 'e3039d41b83c29e60c32c60e865d6ecffd137a22404f1a2985ad83ed64b1d6da';
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1MSJ9.c2lnbmF0dXJl';
    const cases: Array<[string, string]> = [
      [`request to http://127.0.0.1:6001/apps/1/events?auth_key=k&auth_signature=${signature} failed`, 'request to http://127.0.0.1:6001/apps/1/events?[redacted] failed'],
      ['connect to postgres://admin:hunter2@db:5432/app', 'connect to postgres://[redacted]@db:5432/app'],
      [`header Bearer ${jwt}`, 'header Bearer [redacted]'],
      [`token ${jwt} expired`, 'token [redacted] expired'],
      [`{"auth":"app-key:${signature}","shared_secret":"c2VjcmV0"}`, '{"auth":"[redacted]","shared_secret":"[redacted]"}'],
      ['key appid.keyid:Abcdefghijklmnopqrstuvwxyz0123 rejected', 'key appid.keyid:[redacted] rejected'],
      ['password=hunter2; secret: s3cr3t', 'password=[redacted]; secret: [redacted]'],
    ];
    for (const [input, expected] of cases) expect(redactSecrets(input), input).toBe(expected);
    expect(redactSecrets('the value my-app-secret leaked', ['my-app-secret'])).toBe('the value [redacted] leaked');
  });

  it('leaves ordinary messages alone', () => {
    for (const message of [
      'soketi could not be reached: connect ECONNREFUSED 127.0.0.1:6001',
      'REALTIME_TOKEN_SECRETS is not set: set it to "kid:secret" (several, comma-separated, during a rotation)',
      'the Authorization header must be "Bearer <token>"',
      'channel name "private-orders.42" may only contain letters, digits and _ - = @ , . ;',
      'check ABLY_API_KEY: key name and secret, and that the key has the capability',
      'next-realtime: /user-auth: provider_unavailable: the state store (Redis) is unavailable: Connection is closed.',
      'next-realtime: /auth: the app\'s hooks.onUserAuthenticate failed',
    ]) {
      expect(redactSecrets(message)).toBe(message);
    }
  });

  it('RealtimeError redacts its message and keeps only a redacted copy of its cause', () => {
    const sdkError = Object.assign(new Error('Request failed'), { url: 'http://h/apps/1/events?auth_signature=abc', error: new Error('request to http://h/x?auth_signature=abc failed') });
    const error = new RealtimeError('provider_unavailable', 'could not reach http://h/x?auth_signature=abc', { cause: sdkError });
    expect(error.message).toBe('could not reach http://h/x?[redacted]');
    const cause = error.cause as Error & { url?: string; cause?: Error };
    expect(cause.url).toBeUndefined();
    expect(cause.cause?.message).toBe('request to http://h/x?[redacted] failed');
    expect(redactedCause('x?auth_signature=1')).toBe('x?auth_signature=[redacted]');
  });
});
