// lib/auth.ts: stands in for your own users and sessions (Auth.js, iron-session, your database)
export interface User {
  id: string;
  name: string;
  orderIds: string[];
  roomIds: string[];
}

/** The signed-in user of a request, or null. Replace with your session library's lookup. */
export async function getSession(request: Request): Promise<{ user: User } | null> {
  void request; // e.g. read and verify the session cookie in request.headers
  return null;
}

/** A user by id (for bearer tokens when a request has no session). */
export async function findUser(id: string): Promise<User | null> {
  void id;
  return null;
}

export const canSeeOrder = (user: User, orderId: string) => user.orderIds.includes(orderId);
export const isMember = (user: User, roomId: string) => user.roomIds.includes(roomId);
