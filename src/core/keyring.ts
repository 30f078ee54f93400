import { RealtimeError } from './errors.js';
import { hmacSha256Hex, timingSafeEqual } from './crypto.js';
import { readProcessEnv, type Env } from './env.js';

/**
 * An ordered list of secrets with ids. The first one signs; every one verifies. Rotation is:
 * put the new key first (old still verifies), wait for the old one to stop being used, remove it.
 * Used for the library's own JWTs (REALTIME_TOKEN_SECRETS), webhook secrets and Ably keys.
 */
export interface KeyringEntry {
  kid: string;
  secret: string;
}

export interface Keyring {
  /** The key that signs. */
  readonly current: KeyringEntry;
  readonly entries: readonly KeyringEntry[];
  /** The key with this id, if it still verifies. */
  find(kid: string): KeyringEntry | undefined;
}

export function createKeyring(entries: readonly KeyringEntry[]): Keyring {
  if (entries.length === 0) throw new RealtimeError('invalid_config', 'a keyring needs at least one key');
  const byKid = new Map<string, KeyringEntry>();
  for (const entry of entries) {
    if (!entry.kid || !entry.secret) throw new RealtimeError('invalid_config', 'every key needs a kid and a secret');
    if (byKid.has(entry.kid)) throw new RealtimeError('invalid_config', `key id ${JSON.stringify(entry.kid)} appears twice`);
    byKid.set(entry.kid, entry);
  }
  const frozen = Object.freeze([...entries]);
  return {
    current: frozen[0]!,
    entries: frozen,
    find: (kid) => byKid.get(kid),
  };
}

/**
 * `name:secret,name:secret` -> entries, the one parser of that form (token secrets, webhook
 * secrets). The secret may itself contain `:`. Errors name the position, never the secret.
 */
function parseKeyPairs(text: string, variable: string, form: string): KeyringEntry[] {
  const parts = text.split(',').map((part) => part.trim()).filter(Boolean);
  return parts.map((part, index) => {
    const colon = part.indexOf(':');
    if (colon <= 0 || colon === part.length - 1) {
      throw new RealtimeError('invalid_config', `${variable}: entry ${index + 1} must look like "${form}"`);
    }
    return { kid: part.slice(0, colon), secret: part.slice(colon + 1) };
  });
}

/** Parses `kid:secret,kid:secret` (REALTIME_TOKEN_SECRETS): the first signs, every one verifies. */
export function parseKeyring(text: string, variable = TOKEN_SECRETS_VARIABLE): Keyring {
  return createKeyring(parseKeyPairs(text, variable, 'kid:secret'));
}

/**
 * `key:secret,key:secret` -> webhook keys. Unlike a token keyring the same key may appear twice
 * (old and new secret of one app key during a migration).
 */
export function parseWebhookKeys(text: string, variable: string): KeyringEntry[] {
  return parseKeyPairs(text, variable, 'key:secret');
}

/** The variable that holds the library's own token keys, read in this one place. */
export const TOKEN_SECRETS_VARIABLE = 'REALTIME_TOKEN_SECRETS';
/** Extra webhook keys (e.g. the old secret during a migration), read in this one place. */
export const WEBHOOK_SECRETS_VARIABLE = 'REALTIME_WEBHOOK_SECRETS';

/**
 * The token keyring from an option (a Keyring or its text) or, without one, from
 * REALTIME_TOKEN_SECRETS. Undefined when neither is set.
 */
export function resolveTokenKeyring(option: Keyring | string | undefined, env: Env = readProcessEnv()): Keyring | undefined {
  if (option !== undefined && typeof option !== 'string') return option;
  const text = option ?? env[TOKEN_SECRETS_VARIABLE];
  if (text === undefined || text.trim() === '') return undefined;
  return parseKeyring(text, option === undefined ? TOKEN_SECRETS_VARIABLE : 'tokenSecrets');
}

/** REALTIME_WEBHOOK_SECRETS as webhook keys; none when it is not set. */
export function webhookKeysFromEnv(env: Env = readProcessEnv()): KeyringEntry[] {
  return parseWebhookKeys(env[WEBHOOK_SECRETS_VARIABLE] ?? '', WEBHOOK_SECRETS_VARIABLE);
}

/**
 * The same keys with `kid` moved to the front: it signs from now on, the others still verify.
 * This is step one of a rotation when the new key was deployed behind the old one.
 */
export function withSigningKey(keyring: Keyring, kid: string): Keyring {
  const entry = keyring.find(kid);
  if (!entry) throw new RealtimeError('invalid_config', `key id ${JSON.stringify(kid)} is not in the keyring`);
  return createKeyring([entry, ...keyring.entries.filter((other) => other.kid !== kid)]);
}

/** The same keys without `kids` (retired keys verify nothing). The signing key cannot be retired. */
export function withoutKeys(keyring: Keyring, kids: Iterable<string>): Keyring {
  const retired = new Set(kids);
  if (retired.has(keyring.current.kid)) {
    throw new RealtimeError('invalid_config', `key ${JSON.stringify(keyring.current.kid)} signs; make another key sign before retiring it`);
  }
  return createKeyring(keyring.entries.filter((entry) => !retired.has(entry.kid)));
}

/**
 * Ably API keys (`appId.keyId:secret`) as a keyring: kid = key name (`appId.keyId`), which is also
 * the `kid` header of the Ably JWTs it signs. The first key signs.
 */
export function keyringFromAblyKeys(apiKeys: readonly string[]): Keyring {
  return createKeyring(
    apiKeys.map((apiKey, index) => {
      const colon = apiKey.indexOf(':');
      if (colon <= 0 || !apiKey.slice(0, colon).includes('.') || colon === apiKey.length - 1) {
        throw new RealtimeError('invalid_config', `ABLY_API_KEY: key ${index + 1} must look like "appId.keyId:secret"`);
      }
      return { kid: apiKey.slice(0, colon), secret: apiKey.slice(colon + 1) };
    }),
  );
}

/**
 * Webhook (or any HMAC-SHA256 hex) signature check against every key, so both the old and the
 * new secret are accepted while a provider migrates. Returns the key that matched. Every key is
 * tried (no early exit), so timing says nothing about which one matched or how close a guess was.
 */
export async function verifyHmacSha256Hex(keyring: Keyring, message: string | Uint8Array, signatureHex: string): Promise<KeyringEntry | undefined> {
  let matched: KeyringEntry | undefined;
  const signature = signatureHex.trim().toLowerCase();
  for (const entry of keyring.entries) {
    const expected = await hmacSha256Hex(entry.secret, message);
    if (timingSafeEqual(expected, signature) && !matched) matched = entry;
  }
  return matched;
}
