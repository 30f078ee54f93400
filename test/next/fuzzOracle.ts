import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The independent judge of the fuzz suite: the app's policy written out by hand (string
 * operations, no pattern compiler), and every signature and token checked with node:crypto,
 * sharing no code with the library under test. If the library signs or grants something, this
 * must agree that the policy allows it and that the signature is the right one.
 */

export interface FuzzUser {
  id: string;
  name: string;
  orders: string[];
  rooms: string[];
}

export const USERS: Record<string, FuzzUser> = {
  alice: { id: 'u1', name: 'Alice', orders: ['42'], rooms: ['1'] },
  bob: { id: 'u2', name: 'Bob', orders: ['7'], rooms: [] },
};

export const userById = (id: unknown): FuzzUser | undefined => Object.values(USERS).find((user) => user.id === id);

/** The app's session lookup (app code, shared by the app under test and the oracle). */
export function sessionUser(cookie: string | undefined): FuzzUser | undefined {
  const session = /(?:^|;\s*)session=([^;]+)/.exec(cookie ?? '')?.[1];
  return session ? USERS[session] : undefined;
}

export const PUSHER_APP = { appId: 'fuzz-app', key: 'fuzz-key', secret: 'fuzz-pusher-secret-91c2', masterKey: Buffer.alloc(32, 9).toString('base64') };
export const TOKEN_KEYS = { k2: 'fuzz-token-secret-new-47ab', k1: 'fuzz-token-secret-old-13cd' } as const;
export const TOKEN_SECRETS = `k2:${TOKEN_KEYS.k2},k1:${TOKEN_KEYS.k1}`;
export const ABLY_KEY = { name: 'fuzzapp.key1', secret: 'fuzz-ably-secret-5e6f70a1' };
export const WEBHOOK_SECRET = 'fuzz-webhook-secret-8899';
export const TOKEN_TTL_SECONDS = 60;
export const WEBHOOK_MAX_AGE_MS = 600_000;

/** Everything that must never appear in a response or a log line. */
export const SECRETS = [PUSHER_APP.secret, PUSHER_APP.masterKey, TOKEN_KEYS.k1, TOKEN_KEYS.k2, ABLY_KEY.secret, WEBHOOK_SECRET];

const SEGMENT_CHARS = /^[A-Za-z0-9_\-=@]+$/;
const NAME_CHARS = /^[A-Za-z0-9_\-=@,.;]+$/;
const isSegment = (text: string) => SEGMENT_CHARS.test(text);
const isDigits = (text: string) => text.length > 0 && [...text].every((char) => char >= '0' && char <= '9');

export type Kind = 'public' | 'private' | 'presence' | 'private-encrypted';
export function kindOf(channel: string): Kind {
  if (channel.startsWith('private-encrypted-')) return 'private-encrypted';
  if (channel.startsWith('private-')) return 'private';
  if (channel.startsWith('presence-')) return 'presence';
  return 'public';
}

/** A channel name every provider accepts (the library's documented rule). */
export function validChannelName(channel: string): boolean {
  if (channel.length === 0 || channel.length > 164 || !NAME_CHARS.test(channel)) return false;
  return !['private', 'private-', 'presence', 'presence-', 'private-encrypted', 'private-encrypted-'].includes(channel);
}

export const validPusherSocketId = (socketId: string) => /^\d+\.\d+$/.test(socketId) && socketId.length >= 3 && socketId.length <= 64;

export interface Verdict {
  allowed: boolean;
  member?: { user_id: string; user_info: Record<string, unknown> };
}

/**
 * The policy of the fuzzed app, by hand. The app declares (first match decides):
 *   'private-orders.{orderId:int}'       -> the user's own orders
 *   'presence-room.{roomId}'             -> the user's rooms, member { id, info: { name } }
 *   'private-encrypted-inbox.{userId}'   -> the user's own inbox
 *   'private-{room}'                     -> anyone (a wide pattern: must stay within its kind)
 *   'news.{topic}'                       -> anything but 'secret' (restricts token grants)
 */
export function referencePolicy(user: FuzzUser, channel: string): Verdict {
  if (!validChannelName(channel)) return { allowed: false };
  const kind = kindOf(channel);
  if (kind === 'private-encrypted') {
    const rest = channel.slice('private-encrypted-'.length);
    return { allowed: rest.startsWith('inbox.') && isSegment(rest.slice(6)) && rest.slice(6) === user.id };
  }
  if (kind === 'private') {
    const rest = channel.slice('private-'.length);
    if (rest.startsWith('orders.') && isDigits(rest.slice(7))) return { allowed: user.orders.includes(rest.slice(7)) };
    return { allowed: isSegment(rest) };
  }
  if (kind === 'presence') {
    const rest = channel.slice('presence-'.length);
    if (rest.startsWith('room.') && isSegment(rest.slice(5)) && user.rooms.includes(rest.slice(5))) {
      return { allowed: true, member: { user_id: user.id, user_info: { name: user.name } } };
    }
    return { allowed: false };
  }
  if (channel.startsWith('news.') && isSegment(channel.slice(5))) return { allowed: channel.slice(5) !== 'secret' };
  return { allowed: true };
}

const hmacHex = (secret: string, text: string) => createHmac('sha256', secret).update(text).digest('hex');
const base64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** A Pusher-protocol `auth` value is `key:hex(HMAC-SHA256(secret, stringToSign))`. */
export function pusherAuthIsValid(auth: unknown, stringToSign: string): boolean {
  return typeof auth === 'string' && sameText(auth, `${PUSHER_APP.key}:${hmacHex(PUSHER_APP.secret, stringToSign)}`);
}

/** Pusher end-to-end encryption: the channel's key is SHA-256(channel name || master key). */
export function sharedSecretFor(channel: string): string {
  return createHash('sha256').update(Buffer.concat([Buffer.from(channel), Buffer.from(PUSHER_APP.masterKey, 'base64')])).digest('base64');
}

/** Builds a JWT with node:crypto (for bearer tokens the fuzzer sends, valid and broken ones). */
export function makeJwt(header: Record<string, unknown>, payload: Record<string, unknown>, secret: string): string {
  const head = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(payload))}`;
  return `${head}.${createHmac('sha256', secret).update(head).digest('base64url')}`;
}

/** Verifies an HS256 JWT with node:crypto; undefined unless the signature and `exp` hold. */
export function verifyJwt(token: unknown, secretFor: (kid: unknown) => string | undefined): { header: Record<string, unknown>; payload: Record<string, unknown> } | undefined {
  if (typeof token !== 'string') return undefined;
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  let header: Record<string, unknown>;
  let payload: Record<string, unknown>;
  try {
    header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8'));
    payload = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (!header || typeof header !== 'object' || !payload || typeof payload !== 'object' || Array.isArray(payload)) return undefined;
  if (header.alg !== 'HS256') return undefined;
  const secret = secretFor(header.kid);
  if (secret === undefined) return undefined;
  const expected = createHmac('sha256', secret).update(`${parts[0]}.${parts[1]}`).digest('base64url');
  if (!sameText(expected, parts[2]!)) return undefined;
  if (typeof payload.exp !== 'number' || payload.exp * 1000 <= Date.now()) return undefined;
  return { header, payload };
}

const tokenSecretFor = (kid: unknown) => (kid === 'k1' || kid === 'k2' ? TOKEN_KEYS[kid] : undefined);

/** The user of a bearer token the library should accept (its own JWTs: scope, sub, iat, jti). */
export function bearerUser(authorization: string | undefined): FuzzUser | undefined {
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization ?? '');
  if (!match) return undefined;
  const verified = verifyJwt(match[1], tokenSecretFor);
  if (!verified) return undefined;
  const { payload } = verified;
  if (payload.scope !== 'realtime' || typeof payload.iat !== 'number' || typeof payload.jti !== 'string') return undefined;
  return userById(payload.sub);
}

/** A library token from GET /token (Pusher-protocol configuration). */
export function verifyLibraryToken(token: unknown): Record<string, unknown> | undefined {
  const verified = verifyJwt(token, tokenSecretFor);
  if (!verified || verified.header.kid !== 'k2') return undefined; // the first key signs
  return verified.payload;
}

/** An Ably JWT from GET /token (Ably configuration). */
export function verifyAblyToken(token: unknown): Record<string, unknown> | undefined {
  return verifyJwt(token, (kid) => (kid === ABLY_KEY.name ? ABLY_KEY.secret : undefined))?.payload;
}

/** The operations Ably may grant per kind (mirrors Pusher: client events on private/presence). */
export const ABLY_OPERATIONS: Record<string, string[]> = {
  public: ['subscribe'],
  private: ['publish', 'subscribe'],
  presence: ['presence', 'publish', 'subscribe'],
};

export function webhookSignatureIsValid(scheme: 'pusher' | 'ably', signature: string | undefined, body: string, secret: string): boolean {
  if (signature === undefined) return false;
  if (scheme === 'pusher') return sameText(signature.toLowerCase(), hmacHex(secret, body));
  return sameText(signature, createHmac('sha256', secret).update(body).digest('base64'));
}

export const signWebhook = (scheme: 'pusher' | 'ably', body: string, secret: string) =>
  scheme === 'pusher' ? hmacHex(secret, body) : createHmac('sha256', secret).update(body).digest('base64');

/**
 * Public channels a visitor without a session may have (an anonymous Ably token, GET /history):
 * those no pattern of the policy names. The fuzzed policy names one public family, `news.{topic}`.
 */
export function openToAnonymous(channel: string): boolean {
  if (!validChannelName(channel) || kindOf(channel) !== 'public') return false;
  return !(channel.startsWith('news.') && isSegment(channel.slice(5)));
}

/**
 * The history channels of the fuzzed app (withHistory), by hand:
 *   'feed.{id}', 'news.{topic}', 'private-orders.{orderId:int}', 'presence-room.{roomId}', 'private-{room}'
 * (never an encrypted channel: those are not stored).
 */
export function isHistoryChannel(channel: string): boolean {
  if (!validChannelName(channel)) return false;
  const after = (prefix: string) => (channel.startsWith(prefix) ? channel.slice(prefix.length) : undefined);
  const kind = kindOf(channel);
  if (kind === 'private-encrypted') return false;
  if (kind === 'public') return [after('feed.'), after('news.')].some((rest) => rest !== undefined && isSegment(rest));
  if (kind === 'presence') return isSegment(after('presence-room.') ?? '');
  const orders = after('private-orders.');
  return (orders !== undefined && isDigits(orders)) || isSegment(after('private-') ?? '');
}

/** What the fuzzed app's history store holds before the run: three events per channel, each from its own socket. */
export const HISTORY_CHANNELS = ['feed.1', 'feed.2', 'news.x', 'news.secret', 'private-orders.42', 'private-orders.7', 'presence-room.1', 'presence-room.2', 'private-general'];
export const HISTORY_SOCKETS = ['11.1', '22.2', '33.3'];

/** A cursor the library wrote: a decimal seq without leading zeros, a safe integer. */
export function isCursor(text: string): boolean {
  return /^(0|[1-9][0-9]{0,15})$/.test(text) && Number(text) <= Number.MAX_SAFE_INTEGER;
}
