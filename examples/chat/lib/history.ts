import type { ChatMessage } from './events';

/**
 * The last messages of each room, in this server's memory, so a page load shows the recent
 * conversation. A real app would use its database; realtime delivery does not depend on this.
 */
const LIMIT = 50;
const globalForHistory = globalThis as typeof globalThis & { chatHistory?: Map<string, ChatMessage[]> };
const history = (globalForHistory.chatHistory ??= new Map());

export function remember(message: ChatMessage): void {
  const list = history.get(message.roomId) ?? [];
  list.push(message);
  if (list.length > LIMIT) list.splice(0, list.length - LIMIT);
  history.set(message.roomId, list);
}

export function recentMessages(roomId: string): ChatMessage[] {
  return [...(history.get(roomId) ?? [])];
}
