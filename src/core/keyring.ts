import { RealtimeError } from './errors.js';

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
 * Parses `kid:secret,kid:secret` (REALTIME_TOKEN_SECRETS). The secret may itself contain `:`.
 * Errors name the position, never the secret.
 */
export function parseKeyring(text: string, variable = 'REALTIME_TOKEN_SECRETS'): Keyring {
  const parts = text.split(',').map((part) => part.trim()).filter(Boolean);
  const entries = parts.map((part, index) => {
    const colon = part.indexOf(':');
    if (colon <= 0 || colon === part.length - 1) {
      throw new RealtimeError('invalid_config', `${variable}: entry ${index + 1} must look like "kid:secret"`);
    }
    return { kid: part.slice(0, colon), secret: part.slice(colon + 1) };
  });
  return createKeyring(entries);
}
