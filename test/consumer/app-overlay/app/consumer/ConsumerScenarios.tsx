'use client';

import { useState } from 'react';
import { RealtimeProvider, useChannel, useConnectionState, useEvent, usePresence } from 'next-realtime/react';
import { signOut } from '../actions';
import { publishNews, publishNewsFromForm } from './actions';
import { NEWS_CHANNEL } from './news';

interface Props {
  userId: string | null;
  privateChannel: string | null;
  presenceChannel: string | null;
}

export function ConsumerScenarios(props: Props) {
  return (
    <RealtimeProvider>
      <Scenarios {...props} />
    </RealtimeProvider>
  );
}

function Scenarios({ userId, privateChannel, presenceChannel }: Props) {
  const state = useConnectionState();
  const [news, setNews] = useState<string[]>([]);
  useEvent(NEWS_CHANNEL, 'message', (message) => setNews((list) => [...list, message.text]));
  const privateStatus = useChannel(privateChannel).status;
  const { members } = usePresence(presenceChannel);
  const [sent, setSent] = useState(0);
  return (
    <main>
      <p>
        user <span data-testid="user">{userId ?? 'anonymous'}</span>, connection <span data-testid="state">{state}</span>
      </p>
      <p>
        private <span data-testid="private-status">{privateStatus}</span>, presence{' '}
        <span data-testid="members">{members.map((member) => member.id).sort().join(',')}</span>
      </p>
      <ul data-testid="news">
        {news.map((text, index) => (
          <li key={index}>{text}</li>
        ))}
      </ul>
      {/* A direct call: the action's arguments are the app's own, no socket id among them. */}
      <button
        data-testid="publish-direct"
        onClick={async () => {
          const text = (document.querySelector('[data-testid=direct-text]') as HTMLInputElement).value;
          await publishNews(text);
          setSent((count) => count + 1);
        }}
      >
        publish
      </button>
      <input data-testid="direct-text" defaultValue="" />
      <span data-testid="sent">{sent}</span>
      {/* A form action with a bound argument: FormData arrives after it. */}
      <form action={publishNewsFromForm.bind(null, 'form')}>
        <input name="text" data-testid="form-text" />
        <button data-testid="publish-form" type="submit">
          publish from form
        </button>
      </form>
      <form action={signOut}>
        <button data-testid="sign-out" type="submit">
          sign out
        </button>
      </form>
    </main>
  );
}
