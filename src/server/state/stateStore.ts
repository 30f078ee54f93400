/**
 * Shared state for connection limits and secret rotation. One interface, two stores: memory (one
 * process) and Redis (several Next.js instances, chosen when REDIS_URL is set). The operations are
 * domain operations rather than a key-value API so that the Redis store can make each one atomic
 * (one Lua script) and two instances can never both admit the 5th connection.
 */

/** One signed-in connection, as the auth endpoint saw it. */
export interface ConnectionRecord {
  userId: string;
  socketId: string;
  /** Key id of the credential the connection signed in with. */
  kid: string;
  /** Unix ms of the first sign-in of this socket. */
  since: number;
  /** The provider has listed this socket on the user's connection channel at least once. */
  seen: boolean;
}

export interface AdmitConnectionRequest {
  userId: string;
  socketId: string;
  kid: string;
  now: number;
  maxPerUser: number;
  /**
   * The socket ids the provider lists as live for this user. When given, records absent from it
   * are dropped first, if they were seen before or are older than `joinGraceMs` (a new socket
   * signs in before it can join the channel, so a young record that is not listed yet is kept).
   */
  liveSocketIds?: readonly string[] | undefined;
  joinGraceMs: number;
  /** Records of a user expire this long after the user's last sign-in (a backstop only). */
  recordTtlMs: number;
}

export interface AdmitConnectionResult {
  admitted: boolean;
  /** Records of this user after the call. */
  count: number;
}

export interface KeyState {
  /** Overrides which key signs (set by a rotation); otherwise the keyring's first key signs. */
  signingKid?: string | undefined;
  /** Keys that verify nothing any more. */
  retiredKids: string[];
}

export type RotationPhase = 'announced' | 'closing' | 'completed';

export interface RotationRecord {
  id: string;
  toKid: string;
  fromKids: string[];
  startedAt: number;
  deadline: number;
  phase: RotationPhase;
  completedAt?: number | undefined;
  /** Re-authenticated connections closed anyway because their user also had a stale one. */
  collateral?: number | undefined;
}

/** A connection inside a rotation's sets. */
export interface ConnectionRef {
  userId: string;
  socketId: string;
}

export interface RotationCounts {
  /** On an old key, not re-authenticated yet. */
  pending: number;
  /** Were pending, then signed in again with the new key. */
  reauthenticated: number;
  /** Closed by the server at the deadline. */
  closed: number;
  /** Were pending and disconnected on their own before the deadline. */
  gone: number;
}

export interface StateStore {
  readonly kind: 'memory' | 'redis';
  /**
   * Records a sign-in. A socket already recorded is always admitted (re-authentication updates
   * its kid); a new one only while the user has fewer than `maxPerUser` records. While a rotation
   * is active, a sign-in with the new key moves the connection from pending to re-authenticated,
   * and one with an old key puts it in pending.
   */
  admitConnection(request: AdmitConnectionRequest): Promise<AdmitConnectionResult>;
  connections(userId: string): Promise<ConnectionRecord[]>;
  allConnections(): Promise<ConnectionRecord[]>;
  /** Without `socketIds`: every record of the user. */
  removeConnections(userId: string, socketIds?: readonly string[]): Promise<void>;

  keyState(): Promise<KeyState>;

  /** Starts a rotation (and makes `toKid` sign); false when another rotation is still active. */
  beginRotation(record: RotationRecord): Promise<boolean>;
  activeRotation(): Promise<RotationRecord | undefined>;
  /** The most recently started rotation, running or not. */
  latestRotation(): Promise<RotationRecord | undefined>;
  rotation(id: string): Promise<RotationRecord | undefined>;
  /** Adds connections to a rotation's pending set if their record is (still) on one of its old keys. */
  addPending(rotationId: string, refs: readonly ConnectionRef[]): Promise<void>;
  pending(rotationId: string): Promise<ConnectionRef[]>;
  /** Moves connections out of pending into closed or gone. */
  settle(rotationId: string, closed: readonly ConnectionRef[], gone: readonly ConnectionRef[]): Promise<void>;
  counts(rotationId: string): Promise<RotationCounts>;
  /** One instance wins the right to close a rotation's stale connections for `ttlMs`. */
  claimClosing(rotationId: string, ttlMs: number): Promise<boolean>;
  /** Gives the claim up early (closing failed; another attempt may start at once). */
  releaseClosing(rotationId: string): Promise<void>;
  /** Retires the rotation's old keys, marks it completed and no longer active. */
  completeRotation(rotationId: string, completedAt: number, collateral: number): Promise<void>;

  close(): Promise<void>;
}

export const refKey = (ref: ConnectionRef): string => `${ref.socketId} ${ref.userId}`;
export function parseRef(key: string): ConnectionRef {
  const space = key.indexOf(' ');
  return { socketId: key.slice(0, space), userId: key.slice(space + 1) };
}
