/**
 * HMAC and hashing for signatures, in one place for every runtime (jose's approach).
 *
 * On Node.js, node:crypto signs about 15x faster than Web Crypto (whose HMAC is an async job on
 * the thread pool). It is reached through `process.getBuiltinModule` (Node >= 20.16), never a
 * static import, so bundles for fetch-only runtimes (Edge, Workers) contain no Node built-in and
 * fall back to Web Crypto. Both produce identical bytes; test/unit/crypto.test.ts checks that.
 */
const encoder = new TextEncoder();

interface HmacBackend {
  hmacSha256(secret: string, data: Uint8Array): Promise<Uint8Array>;
  hmacSha256Hex(secret: string, data: Uint8Array): Promise<string>;
  sha256(data: Uint8Array): Promise<Uint8Array>;
}

type NodeCrypto = typeof import('node:crypto');

function loadNodeCrypto(): NodeCrypto | undefined {
  const runtime = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  try {
    return runtime?.getBuiltinModule?.('node:crypto') as NodeCrypto | undefined;
  } catch {
    return undefined;
  }
}

function nodeBackend(nodeCrypto: NodeCrypto): HmacBackend {
  return {
    hmacSha256: async (secret, data) => new Uint8Array(nodeCrypto.createHmac('sha256', secret).update(data).digest()),
    hmacSha256Hex: async (secret, data) => nodeCrypto.createHmac('sha256', secret).update(data).digest('hex'),
    sha256: async (data) => new Uint8Array(nodeCrypto.createHash('sha256').update(data).digest()),
  };
}

const keyCache = new Map<string, Promise<CryptoKey>>();
const MAX_CACHED_KEYS = 64;

/**
 * The Web Crypto HMAC-SHA256 key of a secret, imported once: importing is a good part of the cost
 * of a Web Crypto HMAC (and of a jose HS256 JWT given the raw secret), and secrets are few and
 * long-lived. For jose (core/jwt.ts) and the Web Crypto backend below.
 */
export function hmacSha256Key(secret: string): Promise<CryptoKey> {
  let key = keyCache.get(secret);
  if (!key) {
    if (keyCache.size >= MAX_CACHED_KEYS) keyCache.clear();
    key = crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
    keyCache.set(secret, key);
  }
  return key;
}

function webCryptoBackend(): HmacBackend {
  const hmacSha256 = async (secret: string, data: Uint8Array) =>
    new Uint8Array(await crypto.subtle.sign('HMAC', await hmacSha256Key(secret), data as BufferSource));
  return {
    hmacSha256,
    hmacSha256Hex: async (secret, data) => toHex(await hmacSha256(secret, data)),
    sha256: async (data) => new Uint8Array(await crypto.subtle.digest('SHA-256', data as BufferSource)),
  };
}

const nodeCrypto = loadNodeCrypto();
/** Exposed for the test that proves both backends agree; not part of the public API. */
export const cryptoBackends = {
  web: webCryptoBackend(),
  node: nodeCrypto ? nodeBackend(nodeCrypto) : undefined,
};
const backend: HmacBackend = cryptoBackends.node ?? cryptoBackends.web;

const bytes = (message: string | Uint8Array) => (typeof message === 'string' ? encoder.encode(message) : message);

export function hmacSha256(secret: string, message: string | Uint8Array): Promise<Uint8Array> {
  return backend.hmacSha256(secret, bytes(message));
}

export function hmacSha256Hex(secret: string, message: string | Uint8Array): Promise<string> {
  return backend.hmacSha256Hex(secret, bytes(message));
}

export function sha256(data: Uint8Array): Promise<Uint8Array> {
  return backend.sha256(data);
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
