import type { PresenceMember } from '../core/provider.js';

/**
 * Laravel's presence channel callbacks return the member's info with its id in it, and Laravel
 * Echo's `here` / `joining` / `leaving` hand the app that info only (pusher-js `members.info`, not
 * the `user_id`). With the handlers' `presenceInfoWithId` option, the member id is copied into
 * the info, so an app written for Echo sees who is who. The id wins over an `id` in the info:
 * it is the one the provider reports.
 */
export function withIdInInfo(member: PresenceMember | undefined): PresenceMember | undefined {
  return member && { ...member, info: { ...member.info, id: member.id } };
}
