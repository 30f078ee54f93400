import { withSigningKey, withoutKeys, type Keyring, type KeyringEntry } from '../../core/keyring.js';
import type { KeyState, StateStore } from '../state/stateStore.js';

export interface RotatingKeyring extends Keyring {
  /** Reads the shared key state now (which key signs, which are retired). */
  refresh(): Promise<void>;
  /** The keys as configured (REALTIME_TOKEN_SECRETS), before rotation state is applied. */
  readonly configured: Keyring;
}

/**
 * The configured keyring as the shared rotation state says it is right now: a running rotation
 * makes its new key sign on every instance; a completed one retires the old keys everywhere, even
 * before the deploy that removes them from REALTIME_TOKEN_SECRETS.
 *
 * It keeps the synchronous Keyring interface (route handlers sign and verify without awaiting the
 * store): state is cached and re-read in the background every `refreshMs` (default 1 s), so every
 * instance sees a rotation within about that long. The instance running the rotation refreshes at
 * once. Call `refresh()` before a check that must be exact.
 */
export function createRotatingKeyring(options: { keyring: Keyring; store: StateStore; refreshMs?: number }): RotatingKeyring & { dispose(): void } {
  const configured = options.keyring;
  const refreshMs = options.refreshMs ?? 1000;
  let effective = configured;
  let readAt = 0;
  let reading: Promise<void> | undefined;

  const apply = (state: KeyState): Keyring => {
    let keyring = configured;
    if (state.signingKid && configured.find(state.signingKid)) keyring = withSigningKey(keyring, state.signingKid);
    const retired = state.retiredKids.filter((kid) => kid !== keyring.current.kid && keyring.find(kid));
    if (retired.length > 0) keyring = withoutKeys(keyring, retired);
    return keyring;
  };

  const refresh = (): Promise<void> => {
    reading ??= options.store
      .keyState()
      .then((state) => {
        effective = apply(state);
        readAt = Date.now();
      })
      .finally(() => {
        reading = undefined;
      });
    return reading;
  };

  const fresh = (): Keyring => {
    if (Date.now() - readAt > refreshMs && !reading) {
      // Stale-while-revalidate: answer from the cache, never block a request on the store.
      refresh().catch(() => undefined);
    }
    return effective;
  };

  // Also re-read on a timer, so an instance that was idle does not answer its first request after
  // a rotation began with the old signing key. The rotation waits one interval before announcing.
  const poll = setInterval(() => refresh().catch(() => undefined), refreshMs);
  poll.unref?.();
  refresh().catch(() => undefined);

  return {
    configured,
    refresh,
    dispose: () => clearInterval(poll),
    get current(): KeyringEntry {
      return fresh().current;
    },
    get entries(): readonly KeyringEntry[] {
      return fresh().entries;
    },
    find(kid: string) {
      return fresh().find(kid);
    },
  };
}
