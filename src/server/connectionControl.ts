import { isRealtimeError, RealtimeError } from '../core/errors.js';
import { resolveTokenKeyring, TOKEN_SECRETS_VARIABLE, type Keyring } from '../core/keyring.js';
import type { ProviderAuth } from '../core/providerParts.js';
import { createConnectionGuard, type ConnectionGuard, type ConnectionGuardHooks } from './connections/connectionGuard.js';
import type { Realtime } from './realtime.js';
import { createSecretRotation, type SecretRotation } from './rotation/rotation.js';
import { createRotatingKeyring, type RotatingKeyring } from './rotation/rotatingKeyring.js';
import { getDefaultStateStore } from './state/index.js';
import type { StateStore } from './state/stateStore.js';

export interface ConnectionControlOptions {
  realtime: Realtime;
  /**
   * The keys a rotation rotates: a Keyring or `kid:secret,...`. Default: REALTIME_TOKEN_SECRETS;
   * on Ably the Ably API keys (ABLY_API_KEY, kid = key name), because Ably tokens are signed with
   * them: the Ably provider then signs with whichever key this keyring says signs.
   */
  tokenSecrets?: Keyring | string;
  /** Default: Redis when REDIS_URL is set, else memory (one per process). */
  store?: StateStore;
  /** Default: REALTIME_MAX_CONNECTIONS_PER_USER, else 5. */
  maxPerUser?: number;
  /** How long a new connection may take to join its connection channel. Default 10 s. */
  joinGraceMs?: number;
  /**
   * Sign-ins while the state store (Redis) is unreachable: `'refuse'` (default, 503
   * `provider_unavailable`: the limit holds) or `'admit'` (unrecorded, logged: nobody is locked
   * out, and a user may exceed the limit by what signed in during the outage).
   */
  storeUnavailable?: 'refuse' | 'admit';
  /** How often each instance re-reads which key signs. Default 1 s. */
  refreshMs?: number;
}

export interface ConnectionControl {
  readonly store: StateStore;
  /** Pass as `tokenSecrets` to createRealtimeHandlers, so a rotation changes what it signs. */
  readonly keyring: RotatingKeyring;
  /** Pass as `hooks` to createRealtimeHandlers. */
  readonly hooks: ConnectionGuardHooks;
  readonly guard: ConnectionGuard;
  readonly rotation: SecretRotation;
  /** Logout: closes every connection of the user and frees the user's slots. */
  terminateUser(userId: string): Promise<void>;
  dispose(): void;
}

/**
 * Connection limits, logout and secret rotation wired together over one state store and one
 * keyring, which is what keeps them consistent:
 *
 *   const control = createConnectionControl({ realtime });
 *   export const { GET, POST } = createRealtimeHandlers({
 *     realtime, channels, getUser, tokenSecrets: control.keyring, hooks: control.hooks,
 *   });
 */
export function createConnectionControl(options: ConnectionControlOptions): ConnectionControl {
  let auth: ProviderAuth;
  let configured: Keyring;
  try {
    auth = options.realtime.auth;
    configured = resolveKeyring(options.tokenSecrets, auth);
  } catch (error) {
    // A missing or malformed variable must reach the route handlers as their invalid_config
    // answer at request time, not as a throw where the app wires things together (a bare 500).
    if (isRealtimeError(error, 'invalid_config')) return misconfiguredConnectionControl(error);
    throw error;
  }
  const store = options.store ?? getDefaultStateStore();
  const keyring = createRotatingKeyring({ keyring: configured, store, ...(options.refreshMs !== undefined ? { refreshMs: options.refreshMs } : {}) });
  const guard = createConnectionGuard({
    realtime: options.realtime,
    store,
    keyring,
    ...(options.maxPerUser !== undefined ? { maxPerUser: options.maxPerUser } : {}),
    ...(options.joinGraceMs !== undefined ? { joinGraceMs: options.joinGraceMs } : {}),
    ...(options.storeUnavailable !== undefined ? { storeUnavailable: options.storeUnavailable } : {}),
  });
  // A provider that signs client tokens with its own keys (Ably) signs from the rotating keyring.
  let followFailure: unknown;
  if (auth.kind === 'tokens') {
    try {
      auth.useSigningKeyring(keyring);
    } catch (error) {
      followFailure = error; // reported by rotation.start()
    }
  }
  const secretRotation = createSecretRotation({
    realtime: options.realtime,
    store,
    keyring,
    ...(options.joinGraceMs !== undefined ? { joinGraceMs: options.joinGraceMs } : {}),
    ...(options.refreshMs !== undefined ? { propagationMs: options.refreshMs + 200 } : {}),
  });
  return {
    store,
    keyring,
    hooks: guard.hooks,
    guard,
    rotation: {
      ...secretRotation,
      async start(startOptions) {
        if (followFailure !== undefined) throw followFailure;
        return secretRotation.start(startOptions);
      },
    },
    terminateUser: (userId) => guard.terminateUser(userId),
    dispose() {
      keyring.dispose();
      guard.dispose();
      secretRotation.dispose();
    },
  };
}

/**
 * What createConnectionControl returns when the configuration is unusable: every use rejects
 * (or, for property reads, throws) the configuration error, so each endpoint answers it as JSON.
 */
function misconfiguredConnectionControl(error: RealtimeError): ConnectionControl {
  const fail = async (): Promise<never> => {
    throw error;
  };
  const throwing = <T extends object>(): T =>
    new Proxy({} as T, {
      get(_target, property) {
        // Not a thenable: awaiting the object must not throw.
        if (property === 'then') return undefined;
        throw error;
      },
    });
  return {
    get store(): StateStore {
      throw error;
    },
    keyring: throwing<RotatingKeyring>(),
    hooks: { onUserAuthenticate: fail, onTokenIssued: fail, onChannelAuthorize: fail },
    guard: throwing<ConnectionGuard>(),
    rotation: throwing<SecretRotation>(),
    terminateUser: fail,
    dispose() {},
  };
}

/** The keys a rotation rotates: the option, else a token provider's own keys, else REALTIME_TOKEN_SECRETS. */
function resolveKeyring(option: Keyring | string | undefined, auth: ProviderAuth): Keyring {
  if (option === undefined && auth.kind === 'tokens') return auth.keyring;
  const keyring = resolveTokenKeyring(option);
  if (!keyring) {
    throw new RealtimeError('invalid_config', `${TOKEN_SECRETS_VARIABLE} is not set: set it to "kid:secret" (several, comma-separated, during a rotation)`);
  }
  return keyring;
}
