import Pusher from 'pusher';
import { describe, expect, it } from 'vitest';
import { timingSafeEqual } from '../../src/core/crypto.js';
import { isRealtimeError } from '../../src/index.js';
import { authenticateUser, authorizeChannel } from '../../src/providers/pusher/channelAuthorization.js';

const credentials = {
  key: 'app-key',
  secret: 'app-secret',
  encryptionMasterKeyBase64: Buffer.alloc(32, 7).toString('base64'),
};
// The official SDK is the reference: our Web Crypto signatures must equal its node:crypto ones.
const reference = new Pusher({ appId: '1', ...credentials, cluster: 'mt1' });

describe('Pusher-protocol signatures (Web Crypto) equal the official SDK', () => {
  it('private channel', async () => {
    expect(await authorizeChannel(credentials, '123.456', 'private-orders.42')).toEqual(
      reference.authorizeChannel('123.456', 'private-orders.42'),
    );
  });

  it('presence channel with member info', async () => {
    const member = { id: 'u1', info: { name: 'Ada', emoji: '✓' } };
    expect(await authorizeChannel(credentials, '1.2', 'presence-room.1', member)).toEqual(
      reference.authorizeChannel('1.2', 'presence-room.1', { user_id: 'u1', user_info: member.info }),
    );
  });

  it('encrypted channel includes the same shared secret', async () => {
    expect(await authorizeChannel(credentials, '1.2', 'private-encrypted-inbox.7')).toEqual(
      reference.authorizeChannel('1.2', 'private-encrypted-inbox.7'),
    );
  });

  it('user authentication for pusher:signin', async () => {
    expect(await authenticateUser(credentials, '9.9', { id: 'u1', info: { name: 'Ada' } })).toEqual(
      reference.authenticateUser('9.9', { id: 'u1', user_info: { name: 'Ada' } }),
    );
  });

  it('refuses malformed socket ids and public channels instead of signing them', async () => {
    for (const socketId of ['', '1', 'abc.def', '1.2\n', '1.2:private-x']) {
      await expect(authorizeChannel(credentials, socketId, 'private-x')).rejects.toSatisfy((error) => isRealtimeError(error, 'invalid_socket_id'));
    }
    await expect(authorizeChannel(credentials, '1.2', 'orders')).rejects.toSatisfy((error) => isRealtimeError(error, 'invalid_channel'));
    await expect(authorizeChannel(credentials, '1.2', 'presence-room')).rejects.toSatisfy((error) => isRealtimeError(error, 'forbidden'));
  });

  it('an encrypted channel without a master key is a config error, not a bad signature', async () => {
    await expect(authorizeChannel({ key: 'k', secret: 's' }, '1.2', 'private-encrypted-x')).rejects.toSatisfy((error) =>
      isRealtimeError(error, 'invalid_config'),
    );
  });
});

describe('timingSafeEqual', () => {
  it('compares by value, including lengths and multi-byte text', () => {
    expect(timingSafeEqual('abc', 'abc')).toBe(true);
    expect(timingSafeEqual('abc', 'abd')).toBe(false);
    expect(timingSafeEqual('abc', 'abcd')).toBe(false);
    expect(timingSafeEqual('', '')).toBe(true);
    expect(timingSafeEqual('é', 'e')).toBe(false);
  });
});
