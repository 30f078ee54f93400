import { notFound, redirect } from 'next/navigation';
import { ChatRoom } from '@/components/ChatRoom';
import type { ChatMessage } from '@/lib/events';
import { realtime } from '@/lib/realtime';
import { isRoomId, roomChannel } from '@/lib/rooms';
import { currentUser } from '@/lib/session';

export default async function RoomPage({ params }: { params: Promise<{ roomId: string }> }) {
  const { roomId } = await params;
  if (!isRoomId(roomId)) notFound();
  const user = await currentUser();
  if (!user) redirect('/');
  // The room's last messages from history, and the cursor after them: the client receives every
  // message published after this render (during the page load too), each once.
  const { events, cursor } = await realtime().history!(roomChannel(roomId), { limit: 50 });
  const initialMessages = events.filter((event) => event.event === 'message').map((event) => event.data as ChatMessage);
  return <ChatRoom key={roomId} user={user} roomId={roomId} initialMessages={initialMessages} cursor={cursor} />;
}
