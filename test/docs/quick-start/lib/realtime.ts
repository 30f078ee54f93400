// lib/realtime.ts
import { defineChannels } from 'next-realtime';
import { createRealtime, withEvents } from 'next-realtime/server';
import { canSeeOrder, isMember, type User } from './auth';
import { events } from './events';

export const realtime = createRealtime(); // REALTIME_PROVIDER and that provider's variables

export const channels = defineChannels({
  // Params are typed from the pattern. Return true/false (or a promise of it).
  'private-orders.{orderId}': (user: User, { orderId }) => canSeeOrder(user, orderId),
  // Presence: return the member the others will see, or false.
  'presence-room.{roomId}': (user: User, { roomId }) => isMember(user, roomId) && { id: user.id, info: { name: user.name } },
});

export const orders = withEvents(realtime, events); // publish() validates the payload first
