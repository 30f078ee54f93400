import { assertChannelName, channelKind } from '../../core/channels.js';
import { RealtimeError } from '../../core/errors.js';
import type { ChannelGrant, PresenceMember } from '../../core/provider.js';

/**
 * Channel names on Ably: the IDENTITY mapping. `private-orders.42` is the Ably channel
 * `private-orders.42`, byte for byte.
 *
 * Why not a namespace mapping (`private-x` -> `private:x`): security does not depend on it. A token
 * lists exact channel names (never a wildcard), so `private-x` is only reachable by a token that
 * names it. The canonical charset (core/channels.ts) has no `:` and no `*`, so a canonical name
 * can never be read by Ably as a namespace or a wildcard, and Ably accepts every canonical name as
 * it is. Identity keeps one name everywhere: in the app, in Ably's dashboard, logs, webhooks and
 * in any other Ably SDK the app uses next to this library. Nothing to translate back, nothing to
 * get wrong.
 */
export function toAblyChannel(canonical: string): string {
  assertChannelName(canonical);
  if (channelKind(canonical) === 'private-encrypted') {
    throw new RealtimeError(
      'not_supported',
      `${canonical}: private-encrypted- channels use Pusher's end-to-end encryption, which Ably does not speak; use a private- channel (Ably encrypts in transit) or Ably's own channel cipher`,
      { provider: 'ably', details: { channel: canonical } },
    );
  }
  return canonical;
}

/** JWT claim carrying each presence channel's member info to the client (Ably ignores claims it does not know). */
export const PRESENCE_CLAIM = 'x-realtime-presence';

/** Ably capability: channel name -> operations, serialised as the JSON text Ably expects. */
export type AblyCapability = Record<string, string[]>;

/**
 * What each channel kind may do on Ably, mirroring Pusher: everyone subscribes; private and
 * presence channels also carry client events (`publish`); presence channels add `presence`.
 */
const OPERATIONS: Record<'public' | 'private' | 'presence', readonly string[]> = {
  public: ['subscribe'],
  private: ['publish', 'subscribe'],
  presence: ['presence', 'publish', 'subscribe'],
};

export interface GrantedChannels {
  capability: AblyCapability;
  /** Presence channels: the member info each one shows for this user. */
  presence: Record<string, Record<string, unknown>>;
}

/**
 * Turns the channels the app's policy allowed into an Ably capability that names exactly those
 * channels: no wildcard, nothing the policy did not return. On Ably a presence member's id is the
 * connection's clientId, so a presence grant must name the user the token is for. An anonymous
 * token (no user: a visitor without a session) has no clientId and may only subscribe to public
 * channels; any other grant is refused here too, whatever the caller decided.
 */
export function capabilityForGrants(userId: string | undefined, grants: readonly ChannelGrant[]): GrantedChannels {
  const capability: AblyCapability = {};
  const presence: Record<string, Record<string, unknown>> = {};
  for (const grant of grants) {
    const channel = toAblyChannel(grant.channel);
    const kind = channelKind(channel) as 'public' | 'private' | 'presence';
    if (userId === undefined && kind !== 'public') {
      throw new RealtimeError('forbidden', `${channel}: an anonymous token grants public channels only`, { provider: 'ably', details: { channel } });
    }
    capability[channel] = [...OPERATIONS[kind]];
    if (kind === 'presence') presence[channel] = memberInfo(userId!, channel, grant.member);
  }
  // Sorted, so the same grants always give the same token text.
  const sorted: AblyCapability = {};
  for (const channel of Object.keys(capability).sort()) sorted[channel] = capability[channel]!;
  return { capability: sorted, presence };
}

function memberInfo(userId: string, channel: string, member: PresenceMember | undefined): Record<string, unknown> {
  if (member && member.id !== userId) {
    throw new RealtimeError(
      'invalid_payload',
      `${channel}: on Ably the presence member id is the user's clientId (${JSON.stringify(userId)}), not ${JSON.stringify(member.id)}; return the user's own id from the presence policy`,
      { provider: 'ably', details: { channel } },
    );
  }
  return member?.info ?? {};
}
