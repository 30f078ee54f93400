import { createHmac, timingSafeEqual } from 'node:crypto';
import { cookies } from 'next/headers';

/**
 * A signed cookie holding who the visitor said they are. The demo has no accounts: signing in
 * is typing a name. The signature only stops a visitor from editing the cookie to become
 * someone else.
 */
export interface SessionUser {
  id: string;
  name: string;
}

const COOKIE = 'chat_session';
const MAX_AGE_SECONDS = 60 * 60 * 12;

function sessionKey(): Buffer {
  // SESSION_SECRET when set; else the first REALTIME_TOKEN_SECRETS key (then reordering those
  // keys for a secret rotation also signs everyone out: set SESSION_SECRET to avoid that).
  const current = process.env.REALTIME_TOKEN_SECRETS?.split(',')[0]?.trim();
  const secret = process.env.SESSION_SECRET || (current?.includes(':') ? current.slice(current.indexOf(':') + 1) : current);
  if (!secret) {
    throw new Error('Set SESSION_SECRET or REALTIME_TOKEN_SECRETS: `npm run demo` generates the latter; with `next start`, set it yourself.');
  }
  // A key of its own, so a session cookie can never be replayed as a realtime token.
  return createHmac('sha256', secret).update('example-chat session cookie').digest();
}

function sign(payload: string): string {
  return createHmac('sha256', sessionKey()).update(payload).digest('base64url');
}

export function encodeSession(user: SessionUser): string {
  const payload = Buffer.from(JSON.stringify({ ...user, exp: Date.now() + MAX_AGE_SECONDS * 1000 })).toString('base64url');
  return `${payload}.${sign(payload)}`;
}

export function decodeSession(value: string | undefined): SessionUser | undefined {
  if (!value) return undefined;
  const [payload, signature] = value.split('.');
  if (!payload || !signature) return undefined;
  const expected = Buffer.from(sign(payload));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
  try {
    const data = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as SessionUser & { exp: number };
    if (typeof data.id !== 'string' || typeof data.name !== 'string' || !(data.exp > Date.now())) return undefined;
    return { id: data.id, name: data.name };
  } catch {
    return undefined;
  }
}

export async function currentUser(): Promise<SessionUser | undefined> {
  return decodeSession((await cookies()).get(COOKIE)?.value);
}

/** The same lookup from a raw request (route handlers that are not tied to next/headers). */
export function userFromRequest(request: Request): SessionUser | undefined {
  const cookie = request.headers.get('cookie') ?? '';
  const match = cookie.split(/;\s*/).find((part) => part.startsWith(`${COOKIE}=`));
  return decodeSession(match ? cookieValue(match.slice(COOKIE.length + 1)) : undefined);
}

/** A cookie value as the browser sent it; a malformed escape (`%`, `%zz`) is no session, not a 500. */
function cookieValue(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}

export async function startSession(user: SessionUser): Promise<void> {
  (await cookies()).set(COOKIE, encodeSession(user), {
    httpOnly: true,
    sameSite: 'lax',
    path: '/',
    maxAge: MAX_AGE_SECONDS,
    // The demo is served over plain http on localhost; behind https set CHAT_COOKIE_SECURE=true.
    secure: process.env.CHAT_COOKIE_SECURE === 'true',
  });
}

export async function endSession(): Promise<void> {
  (await cookies()).delete(COOKIE);
}

/** A name becomes the user id: lower-case letters, digits, `-` and `_` (valid in channel names). */
export function userIdFromName(name: string): string | undefined {
  const id = name
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40);
  return id || undefined;
}
