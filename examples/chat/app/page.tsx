import { redirect } from 'next/navigation';
import { currentUser } from '@/lib/session';
import { SignInForm } from '@/components/SignInForm';

export default async function Home() {
  if (await currentUser()) redirect('/rooms/lobby');
  return (
    <main className="signin">
      <h1>next-realtime chat</h1>
      <p>No account needed: pick a name. Open a second browser window to chat with yourself.</p>
      <SignInForm />
    </main>
  );
}
