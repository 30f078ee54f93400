// lib/realtime.ts
import { defineChannels } from 'next-realtime';
import { createRealtime, withEvents } from 'next-realtime/server';
import { canSeeOrder, isMember, type User } from './auth'; // your users: lib/auth.ts in the README's Quick start
import { events } from './events'; // defineEvents + Register, as in the Quick start

export const realtime = createRealtime(); // reads REALTIME_PROVIDER and that provider's variables

export const channels = defineChannels({
  // Params are typed from the pattern: { orderId: string }. Sync or async.
  'private-orders.{orderId}': (user: User, { orderId }) => canSeeOrder(user, orderId),
  // Presence: return the member ({ id, info }), true (member { id: user.id }) or false.
  'presence-room.{roomId}': async (user: User, { roomId }) => isMember(user, roomId) && { id: user.id, info: { name: user.name } },
  'private-encrypted-inbox.{userId}': (user: User, { userId }) => user.id === userId,
});

export const orders = withEvents(realtime, events); // typed, validated publish()
