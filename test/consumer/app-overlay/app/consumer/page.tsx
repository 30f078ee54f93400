import { currentUser } from '@/lib/session';
import { ConsumerScenarios } from './ConsumerScenarios';

/**
 * The consumer test's page, added to a copy of examples/chat: one client with DEFAULT options
 * (a bare <RealtimeProvider>), as a first-time user writes it. `?private=` and `?presence=`
 * name the channels it also joins.
 */
export default async function ConsumerPage({ searchParams }: { searchParams: Promise<Record<string, string | undefined>> }) {
  const { private: privateChannel, presence } = await searchParams;
  const user = await currentUser();
  return <ConsumerScenarios userId={user?.id ?? null} privateChannel={privateChannel ?? null} presenceChannel={presence ?? null} />;
}
