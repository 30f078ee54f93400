'use client';

import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useEffect, useRef, useState, useTransition, type FormEvent } from 'react';
import { sendMessage, signOut, wave } from '@/app/actions';
import type { ChatMessage, Wave } from '@/lib/events';
import { MAX_MESSAGE_LENGTH, ROOMS, notificationsChannel, roomChannel } from '@/lib/rooms';
import { useConnectionState, useEvent, usePresence, useRealtimeClient, useSocketId } from 'next-realtime/react';

interface Props {
  user: { id: string; name: string };
  roomId: string;
  initialMessages: ChatMessage[];
  /** Where the server render's history ended (docs/delivery.md): the client continues from it. */
  cursor: string;
}

const TYPING_SHOWN_MS = 3000;
const TYPING_SENT_EVERY_MS = 1500;

export function ChatRoom({ user, roomId, initialMessages, cursor }: Props) {
  const channel = roomChannel(roomId);
  const router = useRouter();
  const client = useRealtimeClient();
  const state = useConnectionState();
  const socketId = useSocketId();
  const room = usePresence(channel);
  const stopped = state === 'auth_failed' || state === 'failed' || state === 'disconnected';
  // terminateUser() tells the connection why it is closed before closing it.
  const loggedOutElsewhere = stopped && (client.error as { details?: { reason?: string } } | undefined)?.details?.reason === 'logout';
  // The server said this tab's session is gone (a server action answered "signed out").
  const [sessionEnded, setSessionEnded] = useState(false);
  // One signed-out state for the whole page: no name, no composer, no waves.
  const signedOut = loggedOutElsewhere || sessionEnded;
  // After the connection stopped, the last member list is no longer true: show nobody.
  const members = stopped ? [] : room.members;
  const [messages, setMessages] = useState<ChatMessage[]>(initialMessages);
  const [typing, setTyping] = useState<Record<string, { name: string; until: number }>>({});
  const [waves, setWaves] = useState<Wave[]>([]);
  const [error, setError] = useState<string>();
  /** Feedback for the last wave: who, and whether it went out. */
  const [waveNotice, setWaveNotice] = useState<{ to: string; status: 'sending' | 'sent' | 'failed'; text: string }>();
  const [text, setText] = useState('');
  const [sending, startSending] = useTransition();
  const lastTypingSent = useRef(0);
  const messageList = useRef<HTMLOListElement>(null);

  // The newest message in view, as in every chat (and a long one does not hide the next).
  useEffect(() => {
    const list = messageList.current;
    if (list) list.scrollTop = list.scrollHeight;
  }, [messages.length]);

  const addMessage = (message: ChatMessage) =>
    setMessages((list) => (list.some((m) => m.id === message.id) ? list : [...list, message]));

  // A render after a gap (below) brings the room's newer history: merge it in, each message once.
  useEffect(() => {
    setMessages((list) => {
      const added = initialMessages.filter((message) => !list.some((m) => m.id === message.id));
      return added.length === 0 ? list : [...list, ...added].sort((a, b) => a.sentAt - b.sentAt);
    });
  }, [initialMessages]);

  // Payload types come from lib/events.ts (registered there): message is a ChatMessage. From the
  // render's cursor on: every message published after the render, once each, those sent while
  // the page was loading included.
  useEvent(
    channel,
    'message',
    (message) => {
      addMessage(message);
      // Whoever just sent a message has stopped typing.
      setTyping(({ [message.from.id]: _done, ...rest }) => rest);
    },
    // Offline for longer than the room keeps (50 messages): render the page again.
    { cursor, onGap: () => router.refresh() },
  );
  useEvent(channel, 'client-typing', (who, meta) => {
    // Client events come from browsers: trust the sender id the provider attests (presence
    // channels carry it), and the name the server put in that member's presence info.
    const id = meta.userId ?? who.id;
    if (id === user.id) return;
    const name = String(room.members.find((member) => member.id === id)?.info?.name ?? who.name);
    setTyping((current) => ({ ...current, [id]: { name, until: Date.now() + TYPING_SHOWN_MS } }));
  });
  useEvent(notificationsChannel(user.id), 'wave', (received) => setWaves((list) => [received, ...list].slice(0, 5)));

  // Typing notices expire on their own: the sender sends no "stopped typing".
  useEffect(() => {
    const timer = setInterval(() => {
      setTyping((current) => {
        const now = Date.now();
        const kept = Object.entries(current).filter(([, entry]) => entry.until > now);
        return kept.length === Object.keys(current).length ? current : Object.fromEntries(kept);
      });
    }, 500);
    return () => clearInterval(timer);
  }, []);

  const onType = (value: string) => {
    setText(value);
    const now = Date.now();
    if (value && now - lastTypingSent.current > TYPING_SENT_EVERY_MS) {
      lastTypingSent.current = now;
      try {
        room.whisper('typing', { id: user.id, name: user.name });
      } catch {
        // Not subscribed yet (connecting): a missed typing notice is harmless.
      }
    }
  };

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    const body = text;
    if (!body.trim()) return;
    startSending(async () => {
      const result = await sendMessage(roomId, body, socketId);
      if (result.ok) {
        addMessage(result.message);
        setText('');
        setError(undefined);
      } else {
        if (result.signedOut) setSessionEnded(true);
        setError(result.error);
      }
    });
  };

  const sendWave = (to: { id: string; name: string }) => {
    setWaveNotice({ to: to.id, status: 'sending', text: `Waving at ${to.name}…` });
    void wave(roomId, to.id).then((result) => {
      if (!result.ok && result.signedOut) setSessionEnded(true);
      setWaveNotice(
        result.ok
          ? { to: to.id, status: 'sent', text: `You waved at ${to.name}.` }
          : { to: to.id, status: 'failed', text: `Wave not sent: ${result.error}` },
      );
    });
  };
  // The notice fades after a few seconds; a newer wave replaces it.
  useEffect(() => {
    if (!waveNotice || waveNotice.status === 'sending') return;
    const timer = setTimeout(() => setWaveNotice(undefined), 4000);
    return () => clearTimeout(timer);
  }, [waveNotice]);

  const typingNames = Object.values(typing).map((entry) => entry.name);
  const others = members.filter((member) => member.id !== user.id);

  return (
    <div className="chat">
      <header className="topbar">
        <strong>next-realtime chat</strong>
        <span className={`badge badge-${state}`} data-testid="connection-state" data-state={state}>
          {state}
        </span>
        <span className="spacer" />
        {signedOut ? (
          <>
            <span data-testid="signed-in-as" data-signed-out="true">
              Signed out
            </span>
            <a className="button" href="/" data-testid="sign-in-again">
              Sign in
            </a>
          </>
        ) : (
          <>
            <span data-testid="signed-in-as">
              Signed in as <b>{user.name}</b>
            </span>
            <form action={signOut}>
              <button type="submit" data-testid="logout">
                Log out
              </button>
            </form>
          </>
        )}
      </header>

      <aside className="sidebar">
        <h2>Rooms</h2>
        <ul className="rooms">
          {ROOMS.map((room) => (
            <li key={room.id} className={room.id === roomId ? 'current' : ''}>
              <Link href={`/rooms/${room.id}`}>#{room.title}</Link>
            </li>
          ))}
        </ul>
        <h2>Here now ({members.length})</h2>
        <ul className={state === 'connected' ? 'presence' : 'presence stale'} data-testid="presence">
          {members.map((member) => (
            <li key={member.id} data-user-id={member.id}>
              <span className="dot" /> {String(member.info?.name ?? member.id)}
              {member.id === user.id ? (
                <span className="you"> (you)</span>
              ) : (
                <button
                  type="button"
                  className={waveNotice?.to === member.id && waveNotice.status === 'sent' ? 'wave waved' : 'wave'}
                  data-testid={`wave-${member.id}`}
                  disabled={signedOut || waveNotice?.to === member.id}
                  onClick={() => sendWave({ id: member.id, name: String(member.info?.name ?? member.id) })}
                >
                  {waveNotice?.to === member.id && waveNotice.status === 'sent' ? 'waved ✓' : 'wave'}
                </button>
              )}
            </li>
          ))}
        </ul>
        {others.length === 0 && members.length > 0 && <p className="hint">Open another browser to chat with yourself.</p>}
        <p className={waveNotice?.status === 'failed' ? 'hint error' : 'hint'} role="status" data-testid="wave-feedback">
          {waveNotice?.text}
        </p>
        <h2>Notifications</h2>
        <ul className="notifications" data-testid="notifications">
          {waves.length === 0 && <li className="hint">Nobody waved yet.</li>}
          {waves.map((w) => (
            <li key={`${w.from.id}-${w.sentAt}`}>
              {w.from.name} waved at you from #{w.roomId}
            </li>
          ))}
        </ul>
      </aside>

      <main className="room">
        {!stopped && state !== 'connected' && client.error && (
          <p className="banner banner-retrying" data-testid="connection-problem">
            Reconnecting: {client.error.message}
          </p>
        )}
        {stopped && (
          <p className="banner" data-testid="connection-closed">
            {loggedOutElsewhere ? (
              <>
                You logged out in another tab. <a href="/">Sign in again</a>
              </>
            ) : (
              <>
                Live updates stopped ({state}).{' '}
                <button type="button" onClick={() => void client.connect().catch(() => undefined)}>
                  Reconnect
                </button>
              </>
            )}
          </p>
        )}
        <h1>#{ROOMS.find((room) => room.id === roomId)?.title ?? roomId}</h1>
        <ol className="messages" data-testid="messages" ref={messageList}>
          {messages.length === 0 && (
            <li className="empty" data-testid="empty-room">
              No messages in #{ROOMS.find((room) => room.id === roomId)?.title ?? roomId} yet. Say hello!
            </li>
          )}
          {messages.map((message) => (
            <li key={message.id} className={message.from.id === user.id ? 'mine' : ''} data-from={message.from.id}>
              <span className="author">{message.from.name}</span>
              <span className="text">{message.text}</span>
              <time>{new Date(message.sentAt).toLocaleTimeString()}</time>
            </li>
          ))}
        </ol>
        <p className="typing" data-testid="typing" aria-live="polite">
          {typingNames.length === 0 ? '\u00a0' : `${typingNames.join(', ')} ${typingNames.length === 1 ? 'is' : 'are'} typing…`}
        </p>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <form className="composer" onSubmit={onSubmit}>
          <input
            name="text"
            data-testid="composer"
            aria-label={`Message #${roomId}`}
            disabled={signedOut}
            value={text}
            maxLength={MAX_MESSAGE_LENGTH}
            autoComplete="off"
            placeholder={`Message #${roomId}`}
            onChange={(event) => onType(event.target.value)}
          />
          <button type="submit" disabled={signedOut || sending || !text.trim()} data-testid="send">
            Send
          </button>
        </form>
      </main>
    </div>
  );
}
