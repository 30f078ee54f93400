import { readProcessEnv } from '../core/config.js';
import { RealtimeError } from '../core/errors.js';
import { parseKeyring, type Keyring } from '../core/keyring.js';
import { createConnectionGuard, type ConnectionGuard, type ConnectionGuardHooks } from './connections/connectionGuard.js';
import type { Realtime } from './realtime.js';
import { createSecretRotation, type SecretRotation } from './rotation/rotation.js';
import { createRotatingKeyring, type RotatingKeyring } from './rotation/rotatingKeyring.js';
import { getDefaultStateStore } from './state/index.js';
import type { StateStore } from './state/stateStore.js';

export interface ConnectionControlOptions {
  realtime: Realtime;
  /** The library's token keys: a Keyring or `kid:secret,...`. Default: REALTIME_TOKEN_SECRETS. */
  tokenSecrets?: Keyring | string;
  /** Default: Redis when REDIS_URL is set, else memory (one per process). */
  store?: StateStore;
  /** Default: REALTIME_MAX_CONNECTIONS_PER_USER, else 5. */
  maxPerUser?: number;
  /** How long a new connection may take to join its connection channel. Default 10 s. */
  joinGraceMs?: number;
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
  const configured = resolveKeyring(options.tokenSecrets);
  const store = options.store ?? getDefaultStateStore();
  const keyring = createRotatingKeyring({ keyring: configured, store, ...(options.refreshMs !== undefined ? { refreshMs: options.refreshMs } : {}) });
  const guard = createConnectionGuard({
    realtime: options.realtime,
    store,
    keyring,
    ...(options.maxPerUser !== undefined ? { maxPerUser: options.maxPerUser } : {}),
    ...(options.joinGraceMs !== undefined ? { joinGraceMs: options.joinGraceMs } : {}),
  });
  const rotation = createSecretRotation({
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
    rotation,
    terminateUser: (userId) => guard.terminateUser(userId),
    dispose() {
      keyring.dispose();
      guard.dispose();
      rotation.dispose();
    },
  };
}

function resolveKeyring(option: Keyring | string | undefined): Keyring {
  if (option !== undefined && typeof option !== 'string') return option;
  const text = option ?? readProcessEnv().REALTIME_TOKEN_SECRETS;
  if (text === undefined || text.trim() === '') {
    throw new RealtimeError('invalid_config', 'REALTIME_TOKEN_SECRETS is not set: set it to "kid:secret" (several, comma-separated, during a rotation)');
  }
  return parseKeyring(text, option === undefined ? 'REALTIME_TOKEN_SECRETS' : 'tokenSecrets');
}
