import { defineChannels } from 'next-realtime';
import type { SessionUser } from './session';
import { isRoomId } from './rooms';

/**
 * Who may subscribe to what (default deny: a private or presence channel no pattern names is
 * refused). Presence rooms: any signed-in user, shown to the others with their name.
 * Notifications: only their owner.
 */
export const channels = defineChannels({
  'presence-room.{roomId}': (user: SessionUser, { roomId }) => isRoomId(roomId) && { id: user.id, info: { name: user.name } },
  'private-notifications.{userId}': (user: SessionUser, { userId }) => user.id === userId,
});
