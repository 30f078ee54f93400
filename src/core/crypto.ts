/**
 * Web Crypto only: these helpers run on Node.js, the Edge runtime and Workers alike, which is
 * why the route handlers can sign where pusher-http-node (node:crypto) cannot.
 */
const encoder = new TextEncoder();
const keyCache = new Map<string, Promise<CryptoKey>>();
const MAX_CACHED_KEYS = 64;

function hmacKey(secret: string): Promise<CryptoKey> {
  let key = keyCache.get(secret);
  if (!key) {
    // importKey is the slow part of an HMAC in Web Crypto; secrets are few and long-lived.
    if (keyCache.size >= MAX_CACHED_KEYS) keyCache.clear();
    key = crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    keyCache.set(secret, key);
  }
  return key;
}

export async function hmacSha256(secret: string, message: string | Uint8Array): Promise<Uint8Array> {
  const data = typeof message === 'string' ? encoder.encode(message) : message;
  return new Uint8Array(await crypto.subtle.sign('HMAC', await hmacKey(secret), data as BufferSource));
}

export async function hmacSha256Hex(secret: string, message: string | Uint8Array): Promise<string> {
  return toHex(await hmacSha256(secret, message));
}

export async function sha256(data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', data as BufferSource));
}

const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));

export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) out += HEX[byte];
  return out;
}

export function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

export function fromBase64(base64: string): Uint8Array {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * Compares two strings in time that depends only on their lengths, never on where they differ,
 * so a signature cannot be guessed byte by byte from response times.
 */
export function timingSafeEqual(a: string, b: string): boolean {
  const left = encoder.encode(a);
  const right = encoder.encode(b);
  let difference = left.length ^ right.length;
  const length = Math.max(left.length, right.length);
  for (let i = 0; i < length; i++) difference |= (left[i] ?? 0) ^ (right[i] ?? 0);
  return difference === 0;
}
