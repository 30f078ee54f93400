import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * What the Ably stand-in checks before it lets a request or a connection through, written
 * independently of the library (node:crypto, not src/core/crypto.ts or jose) so that a wrong
 * signature in the library cannot be "verified" by the same wrong code.
 */

export interface AblyKey {
  /** `appId.keyId` */
  name: string;
  secret: string;
}

export function parseAblyKey(key: string): AblyKey {
  const colon = key.indexOf(':');
  return { name: key.slice(0, colon), secret: key.slice(colon + 1) };
}

/** An Ably error as it travels on the wire. */
export interface WireError {
  message: string;
  code: number;
  statusCode: number;
}

export class AblyStandInError extends Error {
  constructor(readonly wire: WireError) {
    super(wire.message);
  }
}

const fail = (code: number, statusCode: number, message: string): never => {
  throw new AblyStandInError({ code, statusCode, message });
};

/** Capability: channel name or wildcard resource -> operations. */
export type Capability = Record<string, string[]>;

export interface Identity {
  /** Which key signed (or is) the credential. */
  keyName: string;
  clientId: string | undefined;
  capability: Capability;
  /** Unix ms; undefined for basic (key) auth, which never expires. */
  issuedAt: number | undefined;
  expiresAt: number | undefined;
  kind: 'basic' | 'jwt' | 'token';
}

function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

function findKey(keys: readonly AblyKey[], name: string): AblyKey {
  const key = keys.find((candidate) => candidate.name === name);
  if (!key) fail(40400, 404, `No key found with name ${name}`);
  return key!;
}

/** `Authorization: Basic base64(keyName:secret)` or the realtime `key=` query parameter. */
export function verifyBasicKey(keys: readonly AblyKey[], keyString: string): Identity {
  const colon = keyString.indexOf(':');
  if (colon <= 0) fail(40101, 401, 'Invalid credentials: malformed key');
  const key = findKey(keys, keyString.slice(0, colon));
  if (!sameSecret(key.secret, keyString.slice(colon + 1))) fail(40101, 401, 'Invalid credentials: wrong key secret');
  return { keyName: key.name, clientId: undefined, capability: { '*': ['*'] }, issuedAt: undefined, expiresAt: undefined, kind: 'basic' };
}

export function verifyAuthorizationHeader(keys: readonly AblyKey[], header: string | null): Identity {
  if (!header?.startsWith('Basic ')) fail(40101, 401, 'Authentication required: this stand-in accepts Basic key auth on REST');
  return verifyBasicKey(keys, Buffer.from(header!.slice(6), 'base64').toString('utf8'));
}

const base64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');

/** Verifies an Ably JWT the way Ably documents it: HS256, kid = key name, signed with that key's secret. */
export function verifyAblyJwt(keys: readonly AblyKey[], jwt: string, now = Date.now()): Identity {
  const parts = jwt.split('.');
  if (parts.length !== 3) fail(40144, 401, 'Invalid JWT format');
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  let header: { alg?: string; kid?: string; typ?: string };
  let claims: Record<string, unknown>;
  try {
    header = JSON.parse(Buffer.from(headerPart, 'base64url').toString('utf8'));
    claims = JSON.parse(Buffer.from(payloadPart, 'base64url').toString('utf8'));
  } catch {
    return fail(40144, 401, 'Invalid JWT format: header or payload is not JSON');
  }
  if (header.alg !== 'HS256') fail(40144, 401, `Invalid JWT: unsupported alg ${header.alg}`);
  if (typeof header.kid !== 'string') fail(40144, 401, 'Invalid JWT: no kid header');
  const key = findKey(keys, header.kid!);
  const expected = base64url(createHmac('sha256', key.secret).update(`${headerPart}.${payloadPart}`).digest());
  if (!sameSecret(expected, signaturePart)) fail(40144, 401, 'Error verifying JWT; err = invalid signature');
  const { iat, exp } = claims;
  if (typeof iat !== 'number' || typeof exp !== 'number') fail(40144, 401, 'Invalid JWT: iat and exp are required');
  if ((exp as number) * 1000 <= now) fail(40142, 401, 'Token expired');
  const capabilityText = claims['x-ably-capability'];
  if (typeof capabilityText !== 'string') fail(40144, 401, 'Invalid JWT: x-ably-capability must be a JSON string');
  const clientId = claims['x-ably-clientId'];
  if (clientId !== undefined && typeof clientId !== 'string') fail(40144, 401, 'Invalid JWT: x-ably-clientId must be a string');
  return {
    keyName: key.name,
    clientId: clientId as string | undefined,
    capability: parseCapability(capabilityText as string),
    issuedAt: (iat as number) * 1000,
    expiresAt: (exp as number) * 1000,
    kind: 'jwt',
  };
}

export function parseCapability(text: string): Capability {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return fail(40000, 400, 'Invalid capability: not JSON');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) fail(40000, 400, 'Invalid capability: must be an object');
  for (const [resource, operations] of Object.entries(parsed as object)) {
    if (!Array.isArray(operations) || operations.some((operation) => typeof operation !== 'string')) {
      fail(40000, 400, `Invalid capability for ${resource}: operations must be a list of strings`);
    }
  }
  return parsed as Capability;
}

/** Ably resource matching: `*` matches every channel, `ns:*` every channel in namespace ns, else exact. */
function resourceMatches(resource: string, channel: string): boolean {
  if (resource === '*' || resource === channel) return true;
  if (resource.endsWith(':*')) return channel.startsWith(resource.slice(0, -1));
  return false;
}

/** The operations a capability allows on one channel. */
export function operationsFor(capability: Capability, channel: string): Set<string> {
  const operations = new Set<string>();
  for (const [resource, allowed] of Object.entries(capability)) {
    if (resourceMatches(resource, channel)) for (const operation of allowed) operations.add(operation);
  }
  if (operations.has('*')) return new Set(['subscribe', 'publish', 'presence', 'history']);
  return operations;
}

export interface TokenRequestBody {
  keyName: string;
  ttl?: number;
  capability?: string;
  clientId?: string;
  timestamp: number;
  nonce: string;
  mac: string;
}

/** Ably's TokenRequest signature: base64 HMAC-SHA256 over the fields, each followed by a newline. */
export function verifyTokenRequest(keys: readonly AblyKey[], request: TokenRequestBody, now = Date.now()): void {
  const key = findKey(keys, request.keyName);
  const text = [request.keyName, request.ttl ?? '', request.capability ?? '', request.clientId ?? '', request.timestamp, request.nonce]
    .map((field) => `${field}\n`)
    .join('');
  const expected = createHmac('sha256', key.secret).update(text).digest('base64');
  if (!sameSecret(expected, String(request.mac))) fail(40101, 401, 'Invalid TokenRequest: mac does not match the key secret');
  if (Math.abs(now - request.timestamp) > 10 * 60_000) fail(40104, 401, 'Timestamp not current');
}
