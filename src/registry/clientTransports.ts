import type { ProviderClientPart } from '../core/clientParts.js';
import type { ClientTransport, TransportAuth } from '../core/provider.js';
import { ablyClientPart } from '../providers/ably/clientPart.js';
import { memoryClientPart } from '../providers/memory/clientPart.js';
import { pusherClientPart } from '../providers/pusher/clientPart.js';
import { soketiClientPart } from '../providers/soketi/clientPart.js';
import type { ProviderName } from './names.js';

/**
 * The provider registry, browser side: a provider's name -> its client part (its folder's
 * clientPart.ts: options, `NEXT_PUBLIC_*` variables, how it authenticates, a lazy loader of its
 * transport). Nothing here reaches a server part or zod. A new provider adds one line here (the
 * type asks for it).
 *
 * Each browser SDK is an optional peer, but Turbopack and webpack fail a build on any `import()`
 * they can see of a package that is not installed, even one the app never runs. So each client
 * part's SDK import sits inside an `if` on `process.env.NEXT_PUBLIC_REALTIME_PROVIDER`, written
 * out literally: Next.js replaces it with the build's value, both bundlers then see a constant
 * condition and never resolve the other providers' imports (a build for `soketi` needs only
 * `pusher-js`, one for `ably` only `ably`). It is the variable the browser client reads anyway,
 * so this costs no configuration. (`!value ||`, not `value === undefined ||`: webpack folds the
 * former to a constant, not the latter.) A build that does not set it (a client configured only
 * in code) keeps every branch and needs every provider's SDK installed.
 */
const CLIENT_PARTS = {
  soketi: soketiClientPart,
  pusher: pusherClientPart,
  ably: ablyClientPart,
  memory: memoryClientPart,
} satisfies { [N in ProviderName]: ProviderClientPart<{ provider: N } & Record<string, unknown>> };

type OptionsOf<Part> = Part extends ProviderClientPart<infer Options> ? Options : never;

/** One provider's own client options (the browser client adds the options every provider shares). */
export type ProviderClientOptions = { [N in ProviderName]: OptionsOf<(typeof CLIENT_PARTS)[N]> }[ProviderName];

/** The client part of a provider. */
export function clientPart(provider: ProviderName): ProviderClientPart<ProviderClientOptions> {
  return CLIENT_PARTS[provider] as ProviderClientPart<ProviderClientOptions>;
}

/** Loads the transport of the provider the options choose (and only that one). */
export function loadProviderTransport(options: ProviderClientOptions, auth: TransportAuth): Promise<ClientTransport> {
  return clientPart(options.provider).loadTransport(options, auth);
}
