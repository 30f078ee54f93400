import type { ReactNode } from 'react';
import { redirect } from 'next/navigation';
import { ChatRealtime } from '@/components/ChatRealtime';
import { currentUser } from '@/lib/session';

/**
 * One realtime connection per browser tab, shared by every room: the provider lives in this
 * layout, which stays mounted while the user moves between rooms (only the room's channel
 * subscription changes). A provider per page would open a new connection on every navigation.
 */
export default async function RoomsLayout({ children }: { children: ReactNode }) {
  if (!(await currentUser())) redirect('/');
  return <ChatRealtime>{children}</ChatRealtime>;
}
