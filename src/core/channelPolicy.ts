import { CHANNEL_NAME_PATTERN, channelKind, type ChannelKind } from './channels.js';
import { RealtimeError } from './errors.js';
import type { PresenceMember } from './provider.js';
import { assertUserId } from './users.js';

/**
 * Channel authorization policy, Laravel-style: patterns with `{param}` placeholders, one callback
 * each, default deny.
 *
 * ```ts
 * export const channels = defineChannels({
 *   'private-orders.{orderId:int}': (user: User, { orderId }) => canSeeOrder(user, orderId),
 *   'presence-room.{roomId}': (user: User, { roomId }) => isMember(user, roomId) && { id: user.id, info: { name: user.name } },
 * });
 * ```
 *
 * - A pattern only matches channels of its own kind (public, `private-`, `presence-`,
 *   `private-encrypted-`): `'private-{room}'` never matches `private-encrypted-general`, and a
 *   placeholder never stands for a kind prefix.
 * - Parameters are typed from the pattern (`{ orderId: string }`). By default a placeholder
 *   matches one segment: one or more letters, digits or `_ - = @`, never `.` `,` `;` (so
 *   `private-orders.42,43` matches no `private-orders.{orderId}`). A wider or narrower match is
 *   written out: `{id:int}` (digits only), `{path:any}` (one or more of any channel-name
 *   characters, `.` `,` `;` included). Two placeholders need a literal between them.
 * - The first pattern that matches (in the order written) decides. A private, presence or
 *   encrypted channel that matches no pattern is refused.
 * - Public channels need no pattern; a public pattern, if written, restricts who may be granted
 *   the channel in a token (enforced by token-based providers such as Ably).
 * - Presence callbacks return the member (`{ id, info }`), `true` (member `{ id: user.id }`) or a
 *   falsy value to refuse. Other callbacks return truthy to allow.
 */

type MaybePromise<T> = T | Promise<T>;

/** `'private-orders.{orderId:int}.{line}'` -> `'orderId' | 'line'`. */
export type ChannelPatternParamNames<Pattern extends string> = Pattern extends `${string}{${infer Placeholder}}${infer Rest}`
  ? (Placeholder extends `${infer Name}:${string}` ? Name : Placeholder) | ChannelPatternParamNames<Rest>
  : never;

export type ChannelPatternParams<Pattern extends string> = { [Name in ChannelPatternParamNames<Pattern>]: string };

/** What a callback may return: presence channels may return the member. */
export type ChannelPolicyResult<Pattern extends string> = Pattern extends `presence-${string}`
  ? PresenceMember | boolean | null | undefined
  : boolean | null | undefined;

export type ChannelPolicyCallback<TUser, Pattern extends string> = (
  user: TUser,
  params: ChannelPatternParams<Pattern>,
) => MaybePromise<ChannelPolicyResult<Pattern>>;

export type ChannelPolicyDefinitions<TUser, Patterns extends string> = {
  [Pattern in Patterns]: ChannelPolicyCallback<TUser, Pattern>;
};

/** The policy's verdict for one user and one channel. */
export type ChannelDecision =
  | { allowed: false; reason: 'no_matching_pattern' | 'refused' }
  | { allowed: true; kind: ChannelKind; pattern: string | undefined; member?: PresenceMember | undefined };

export interface ChannelPolicy<TUser> {
  /** The patterns, in the order they are tried. */
  readonly patterns: readonly string[];
  /**
   * Runs the callback of the first matching pattern. Throws a RealtimeError('invalid_channel')
   * for a malformed name; errors thrown by a callback propagate unchanged.
   */
  authorize(user: TUser, channel: string): Promise<ChannelDecision>;
  /** Phantom: carries the user type for `createRealtimeHandlers`. Never set. */
  readonly __user?: TUser;
}

interface CompiledPattern {
  pattern: string;
  /** The kind of channel the pattern is for, read from its literal prefix. */
  kind: ChannelKind;
  regex: RegExp;
  names: string[];
  callback: (user: unknown, params: Record<string, string>) => unknown;
}

const PLACEHOLDER = /\{([A-Za-z_$][A-Za-z0-9_$]*)(?::([A-Za-z]+))?\}/g;

/**
 * What each placeholder type matches. The default (`segment`) leaves out `.` (the segment
 * separator) and `,` `;` (list separators a loose parser could split on); `any` is the explicit
 * way to match those too.
 */
const PLACEHOLDER_TYPES: Record<string, string> = {
  segment: '[A-Za-z0-9_\\-=@]+',
  int: '[0-9]+',
  any: '[A-Za-z0-9_\\-=@,.;]+',
};

function compilePattern(pattern: string, callback: CompiledPattern['callback']): CompiledPattern {
  if (typeof callback !== 'function') {
    throw new RealtimeError('invalid_config', `defineChannels: the policy for ${JSON.stringify(pattern)} must be a function`);
  }
  if (pattern.length === 0) throw new RealtimeError('invalid_config', 'defineChannels: a pattern must not be empty');
  // The kind is read from the pattern's literal prefix (a placeholder can only come after it);
  // authorize() only tries patterns of the channel's own kind.
  const kind = channelKind(pattern);
  const names: string[] = [];
  let source = '^';
  let last = 0;
  for (const match of pattern.matchAll(PLACEHOLDER)) {
    const literal = pattern.slice(last, match.index);
    assertLiteral(pattern, literal);
    if (last > 0 && literal.length === 0) {
      throw new RealtimeError('invalid_config', `defineChannels: ${JSON.stringify(pattern)} has two placeholders with nothing between them`);
    }
    const name = match[1]!;
    const type = match[2] ?? 'segment';
    const placeholderSource = PLACEHOLDER_TYPES[type];
    if (!placeholderSource || !Object.prototype.hasOwnProperty.call(PLACEHOLDER_TYPES, type)) {
      throw new RealtimeError(
        'invalid_config',
        `defineChannels: ${JSON.stringify(pattern)}: unknown placeholder type {${name}:${type}} (use ${Object.keys(PLACEHOLDER_TYPES).join(', ')})`,
      );
    }
    source += escapeRegExp(literal) + `(${placeholderSource})`;
    if (names.includes(name)) {
      throw new RealtimeError('invalid_config', `defineChannels: ${JSON.stringify(pattern)} uses {${name}} twice`);
    }
    names.push(name);
    last = match.index + match[0].length;
  }
  const tail = pattern.slice(last);
  assertLiteral(pattern, tail);
  source += escapeRegExp(tail) + '$';
  return { pattern, kind, regex: new RegExp(source), names, callback };
}

function assertLiteral(pattern: string, literal: string): void {
  if (literal.length > 0 && !CHANNEL_NAME_PATTERN.test(literal)) {
    throw new RealtimeError(
      'invalid_config',
      `defineChannels: ${JSON.stringify(pattern)} is not a channel pattern (letters, digits, _ - = @ , . ; and {param} placeholders)`,
    );
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Reads the member a presence callback returned; a malformed one is the app's bug, not the user's. */
function presenceMember(result: unknown, user: unknown, pattern: string): PresenceMember {
  const candidate =
    result === true ? { id: (user as { id?: unknown } | null)?.id } : (result as { id?: unknown; info?: unknown });
  const id = typeof candidate.id === 'number' ? String(candidate.id) : candidate.id;
  try {
    assertUserId(id);
  } catch {
    throw new RealtimeError(
      'invalid_config',
      `the presence policy for ${JSON.stringify(pattern)} returned a member without a valid id (1-200 printable characters)`,
    );
  }
  const info = candidate.info;
  if (info !== undefined && (info === null || typeof info !== 'object' || Array.isArray(info))) {
    throw new RealtimeError('invalid_config', `the presence policy for ${JSON.stringify(pattern)} returned member info that is not an object`);
  }
  return info === undefined ? { id } : { id, info: info as Record<string, unknown> };
}

export function defineChannels<TUser, Patterns extends string>(
  definitions: ChannelPolicyDefinitions<TUser, Patterns>,
): ChannelPolicy<TUser> {
  const compiled = Object.entries(definitions).map(([pattern, callback]) =>
    compilePattern(pattern, callback as CompiledPattern['callback']),
  );
  return {
    patterns: compiled.map((entry) => entry.pattern),
    async authorize(user, channel) {
      // Validated by the caller too; checked here so the policy can never be asked about garbage.
      const kind = channelKind(channel);
      for (const entry of compiled) {
        if (entry.kind !== kind) continue;
        const match = entry.regex.exec(channel);
        if (!match) continue;
        const params: Record<string, string> = {};
        entry.names.forEach((name, index) => {
          params[name] = match[index + 1]!;
        });
        const result = await entry.callback(user, params);
        if (!result) return { allowed: false, reason: 'refused' };
        if (kind === 'presence') {
          return { allowed: true, kind, pattern: entry.pattern, member: presenceMember(result, user, entry.pattern) };
        }
        return { allowed: true, kind, pattern: entry.pattern };
      }
      if (kind === 'public') return { allowed: true, kind, pattern: undefined };
      return { allowed: false, reason: 'no_matching_pattern' };
    },
  };
}

/**
 * Whether a channel matches a pattern, by the same rules as `defineChannels` (history channels,
 * src/server/history, are opted in with the same pattern syntax). Throws invalid_config for a
 * malformed pattern.
 */
export function channelPatternMatcher(pattern: string): (channel: string) => boolean {
  const { regex } = compilePattern(pattern, () => true);
  return (channel) => regex.test(channel);
}

const namedPatterns = new WeakMap<object, Array<(channel: string) => boolean>>();

/**
 * Whether a visitor without a session may receive `channel`: a public channel that no pattern of
 * the policy names. A pattern's callback decides who gets its channels and needs a user to ask
 * about, so a public channel a pattern names is for the users that callback allows. The history
 * endpoint and anonymous tokens (GET /token without a session) both ask this, nothing else.
 */
export function openToAnonymous(policy: Pick<ChannelPolicy<unknown>, 'patterns'>, channel: string): boolean {
  if (channelKind(channel) !== 'public') return false;
  let matchers = namedPatterns.get(policy);
  if (!matchers) {
    matchers = policy.patterns.map((pattern) => channelPatternMatcher(pattern));
    namedPatterns.set(policy, matchers);
  }
  return !matchers.some((matches) => matches(channel));
}
