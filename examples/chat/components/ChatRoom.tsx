'use client';

import Link from 'next/link';
import { useEffect, useRef, useState, useTransition, type FormEvent } from 'react';
import { sendMessage, signOut, wave } from '@/app/actions';
import type { ChatMessage, Wave } from '@/lib/events';
import { MAX_MESSAGE_LENGTH, ROOMS, notificationsChannel, roomChannel } from '@/lib/rooms';
import { useConnectionState, useEvent, usePresence, useRealtimeClient, useSocketId } from 'next-realtime/react';

interface Props {
  user: { id: string; name: string };
  roomId: string;
  initialMessages: ChatMessage[];
  /** Where the server render's history ended (docs/delivery.md). */
  cursor: string;
}

const TYPING_SHOWN_MS = 3000;
const TYPING_SENT_EVERY_MS = 1500;

export function ChatRoom({ user, roomId, initialMessages, cursor }: Props) {
  const channel = roomChannel(roomId);
  const client = useRealtimeClient();
  const state = useConnectionState();
  const socketId = useSocketId();
  const room = usePresence(channel);
  const stopped = state === 'auth_failed' || state === 'failed' || state === 'disconnected';
  // terminateUser() tells the connection why it is closed before closing it.
  const loggedOutElsewhere = stopped && (client.error as { details?: { reason?: string } } | undefined)?.details?.reason === 'logout';
  // After the connection stopped, the last member list is no longer true: show nobody.
  const members = stopped ? [] : room.members;
  const [messages, setMessages] = useState<ChatMessage[]>(initialMessages);
  const [typing, setTyping] = useState<Record<string, { name: string; until: number }>>({});
  const [waves, setWaves] = useState<Wave[]>([]);
  const [error, setError] = useState<string>();
  const [text, setText] = useState('');
  const [sending, startSending] = useTransition();
  const lastTypingSent = useRef(0);

  const addMessage = (message: ChatMessage) =>
    setMessages((list) => (list.some((m) => m.id === message.id) ? list : [...list, message]));

  useEvent<ChatMessage>(
    channel,
    'message',
    (message) => {
      addMessage(message);
      // Whoever just sent a message has stopped typing.
      setTyping(({ [message.from.id]: _done, ...rest }) => rest);
    },
    { cursor },
  );
  useEvent<{ id: string; name: string }>(channel, 'client-typing', (who, meta) => {
    // Client events come from browsers: trust the sender id the provider attests (presence
    // channels carry it), and the name the server put in that member's presence info.
    const id = meta.userId ?? who.id;
    if (id === user.id) return;
    const name = String(room.members.find((member) => member.id === id)?.info?.name ?? who.name);
    setTyping((current) => ({ ...current, [id]: { name, until: Date.now() + TYPING_SHOWN_MS } }));
  });
  useEvent<Wave>(notificationsChannel(user.id), 'wave', (received) => setWaves((list) => [received, ...list].slice(0, 5)));

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
        setError(result.error);
      }
    });
  };

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
        <span data-testid="signed-in-as">
          Signed in as <b>{user.name}</b>
        </span>
        <form action={signOut}>
          <button type="submit" data-testid="logout">
            Log out
          </button>
        </form>
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
                  className="wave"
                  data-testid={`wave-${member.id}`}
                  onClick={() => void wave(roomId, member.id).then((r) => setError(r.ok ? undefined : r.error))}
                >
                  wave
                </button>
              )}
            </li>
          ))}
        </ul>
        {others.length === 0 && members.length > 0 && <p className="hint">Open another browser to chat with yourself.</p>}
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
        <ol className="messages" data-testid="messages">
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
            value={text}
            maxLength={MAX_MESSAGE_LENGTH}
            autoComplete="off"
            placeholder={`Message #${roomId}`}
            onChange={(event) => onType(event.target.value)}
          />
          <button type="submit" disabled={sending || !text.trim()} data-testid="send">
            Send
          </button>
        </form>
      </main>
    </div>
  );
}
