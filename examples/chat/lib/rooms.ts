/** The demo's rooms. Room ids appear in channel names, so they use the channel name charset. */
export const ROOMS = [
  { id: 'lobby', title: 'Lobby' },
  { id: 'random', title: 'Random' },
  { id: 'help', title: 'Help' },
] as const;

export type RoomId = (typeof ROOMS)[number]['id'];

export function isRoomId(value: unknown): value is RoomId {
  return ROOMS.some((room) => room.id === value);
}

/** Who is in a room, their messages and their typing whispers. */
export const roomChannel = (roomId: string) => `presence-room.${roomId}`;
/** One user's private notifications (waves); only that user may subscribe. */
export const notificationsChannel = (userId: string) => `private-notifications.${userId}`;

export const MAX_MESSAGE_LENGTH = 500;
