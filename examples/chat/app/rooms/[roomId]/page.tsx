import { notFound, redirect } from 'next/navigation';
import { ChatRoom } from '@/components/ChatRoom';
import { recentMessages } from '@/lib/history';
import { isRoomId } from '@/lib/rooms';
import { currentUser } from '@/lib/session';

export default async function RoomPage({ params }: { params: Promise<{ roomId: string }> }) {
  const { roomId } = await params;
  if (!isRoomId(roomId)) notFound();
  const user = await currentUser();
  if (!user) redirect('/');
  return <ChatRoom key={roomId} user={user} roomId={roomId} initialMessages={recentMessages(roomId)} />;
}
