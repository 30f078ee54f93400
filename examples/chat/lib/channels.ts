import type { PresenceMember } from 'next-realtime';
import type { SessionUser } from './session';
import { isRoomId } from './rooms';

/**
 * Who may subscribe to what (default deny). Presence rooms: any signed-in user, seen by the
 * others with their name. Notifications: only their owner.
 */
export function authorizeChannel(user: SessionUser, channel: string): { member?: PresenceMember } | false {
  const room = /^presence-room\.(.+)$/.exec(channel);
  if (room) return isRoomId(room[1]) ? { member: { id: user.id, info: { name: user.name } } } : false;
  const notifications = /^private-notifications\.(.+)$/.exec(channel);
  if (notifications) return notifications[1] === user.id ? {} : false;
  return false;
}
