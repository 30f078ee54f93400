'use server';

import { randomUUID } from 'node:crypto';
import { redirect } from 'next/navigation';
import { isRealtimeError } from 'next-realtime';
import { connectionControl, realtime } from '@/lib/realtime';
import { currentUser, endSession, startSession, userIdFromName } from '@/lib/session';
import type { ChatMessage, Wave } from '@/lib/events';
import { isRoomId, notificationsChannel, roomChannel } from '@/lib/rooms';

export interface SignInState {
  error?: string;
}

export async function signIn(_previous: SignInState, form: FormData): Promise<SignInState> {
  const name = String(form.get('name') ?? '').trim().slice(0, 40);
  const id = userIdFromName(name);
  if (!name || !id) return { error: 'Type a name with at least one letter or digit.' };
  await startSession({ id, name });
  redirect('/rooms/lobby');
}

/** Logout also closes every live connection of this user, in every tab, and frees their slots. */
export async function signOut(): Promise<void> {
  const user = await currentUser();
  if (user) {
    try {
      await connectionControl().terminateUser(user.id);
    } catch (error) {
      // The session still ends; say why the sockets may linger until they time out.
      console.error(`could not close ${user.id}'s connections:`, error);
    }
  }
  await endSession();
  redirect('/');
}

export type SendResult = { ok: true; message: ChatMessage } | { ok: false; error: string; signedOut?: boolean };

/**
 * Publishes a message to the room. `socketId` is the sender's own connection: the provider
 * leaves it out, and the sender shows the message from this action's result instead, so it
 * appears once and at once.
 */
export async function sendMessage(roomId: string, text: string, socketId: string | undefined): Promise<SendResult> {
  const user = await currentUser();
  if (!user) return { ok: false, error: 'You are signed out.', signedOut: true };
  if (!isRoomId(roomId)) return { ok: false, error: 'No such room.' };
  if (typeof text !== 'string' || !text.trim()) return { ok: false, error: 'Type a message first.' };

  // The schema in lib/events.ts checks the rest (length) before anything is sent.
  const message: ChatMessage = { id: randomUUID(), roomId, from: user, text: text.trim(), sentAt: Date.now() };
  try {
    await realtime().publish(roomChannel(roomId), 'message', message, { socketId });
  } catch (error) {
    if (isRealtimeError(error)) return { ok: false, error: `Not sent (${error.code}): ${error.message}` };
    throw error;
  }
  return { ok: true, message };
}

/** Sends a wave to one user's private notifications channel. */
export async function wave(roomId: string, toUserId: string): Promise<{ ok: boolean; error?: string; signedOut?: boolean }> {
  const user = await currentUser();
  if (!user) return { ok: false, error: 'You are signed out.', signedOut: true };
  if (!isRoomId(roomId) || !userIdFromName(toUserId) || toUserId !== userIdFromName(toUserId)) return { ok: false, error: 'No such user.' };
  const payload: Wave = { from: user, roomId, sentAt: Date.now() };
  try {
    await realtime().publish(notificationsChannel(toUserId), 'wave', payload);
  } catch (error) {
    if (isRealtimeError(error)) return { ok: false, error: `Not sent (${error.code}): ${error.message}` };
    throw error;
  }
  return { ok: true };
}
