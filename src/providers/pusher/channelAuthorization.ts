import { assertChannelName, channelKind } from '../../core/channels.js';
import { fromBase64, hmacSha256Hex, sha256, toBase64 } from '../../core/crypto.js';
import { RealtimeError } from '../../core/errors.js';
import { assertSocketId, PUSHER_SOCKET_ID_PATTERN } from '../../core/socketId.js';
import type { ChannelAuthorization, PresenceMember, UserAuthentication } from '../../core/provider.js';

/**
 * Pusher-protocol signatures, computed with Web Crypto. They equal what the official `pusher`
 * SDK computes (`authorizeChannel`, `authenticateUser`) for the same input; test/unit checks that.
 */
export interface PusherCredentials {
  key: string;
  secret: string;
  encryptionMasterKeyBase64?: string | undefined;
}

export async function authorizeChannel(
  credentials: PusherCredentials,
  socketId: string,
  channel: string,
  member?: PresenceMember,
): Promise<ChannelAuthorization> {
  assertSocketId(socketId, PUSHER_SOCKET_ID_PATTERN);
  assertChannelName(channel);
  const kind = channelKind(channel);
  if (kind === 'public') {
    throw new RealtimeError('invalid_channel', `${channel} is a public channel and needs no authorization`);
  }
  let toSign = `${socketId}:${channel}`;
  let channelData: string | undefined;
  if (kind === 'presence') {
    if (!member) throw new RealtimeError('forbidden', `presence channel ${channel} needs member data (a user id)`);
    channelData = JSON.stringify({ user_id: member.id, user_info: member.info ?? {} });
    toSign += `:${channelData}`;
  }
  const result: ChannelAuthorization = {
    auth: `${credentials.key}:${await hmacSha256Hex(credentials.secret, toSign)}`,
  };
  if (channelData !== undefined) result.channel_data = channelData;
  if (kind === 'private-encrypted') result.shared_secret = await encryptedChannelSharedSecret(credentials, channel);
  return result;
}

export async function authenticateUser(
  credentials: PusherCredentials,
  socketId: string,
  user: PresenceMember,
): Promise<UserAuthentication> {
  assertSocketId(socketId, PUSHER_SOCKET_ID_PATTERN);
  const userData = JSON.stringify({ id: user.id, ...(user.info ? { user_info: user.info } : {}) });
  return {
    auth: `${credentials.key}:${await hmacSha256Hex(credentials.secret, `${socketId}::user::${userData}`)}`,
    user_data: userData,
  };
}

/** Pusher's per-channel key: SHA-256(channel name bytes || master key bytes), base64. */
async function encryptedChannelSharedSecret(credentials: PusherCredentials, channel: string): Promise<string> {
  if (!credentials.encryptionMasterKeyBase64) {
    throw new RealtimeError(
      'invalid_config',
      `${channel} is an encrypted channel, but no encryption master key is configured (…_ENCRYPTION_MASTER_KEY_BASE64)`,
    );
  }
  const name = new TextEncoder().encode(channel);
  const master = fromBase64(credentials.encryptionMasterKeyBase64);
  const joined = new Uint8Array(name.length + master.length);
  joined.set(name, 0);
  joined.set(master, name.length);
  return toBase64(await sha256(joined));
}
