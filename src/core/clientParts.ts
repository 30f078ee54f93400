import { RealtimeError } from './errors.js';
import type { ProviderName } from '../registry/names.js';
import type { ClientTransport, TransportAuth } from './provider.js';

/**
 * What every provider folder contributes to the browser client (its clientPart.ts): its options,
 * where they come from, how its clients authenticate, and a lazy loader of its transport. The
 * browser registry (src/registry/clientTransports.ts) names one per provider; everything else in
 * src/client is the same for all of them.
 */
export interface ProviderClientPart<TOptions extends { provider: ProviderName }> {
  /**
   * How its clients authenticate, as its server auth part does (ProviderAuth['kind']):
   * `signatures`: the route handlers sign each private channel and sign-in (the library's own
   * token, when there is one, travels to them as a bearer); `tokens`: the token from the token
   * endpoint is the provider's own connection credential, always fetched, and meaningless to the
   * app's routes as a bearer.
   */
  readonly auth: 'signatures' | 'tokens';
  /**
   * Its options from `NEXT_PUBLIC_*` variables. Each must be read as a literal
   * `process.env.NEXT_PUBLIC_X` (through readPublicEnv): Next.js inlines only those into the
   * browser bundle.
   */
  fromEnv(): Partial<TOptions>;
  /** The variable that supplies each option, for messages that say what to set. */
  readonly envNames: Partial<Record<keyof TOptions, string>>;
  /** Options it cannot connect without. */
  readonly required: readonly (keyof TOptions & string)[];
  /**
   * Loads its transport (its browser SDK). An SDK's `import()` must sit inside
   * `if (!process.env.NEXT_PUBLIC_REALTIME_PROVIDER || process.env.NEXT_PUBLIC_REALTIME_PROVIDER === '<name>')`,
   * written out literally, else throw transportNotInThisBuild: see src/registry/clientTransports.ts.
   */
  loadTransport(options: TOptions, auth: TransportAuth): Promise<ClientTransport>;
}

/**
 * `read()` (a literal `process.env.NEXT_PUBLIC_X`, which Next.js replaces with its value), or
 * undefined where there is no `process` at all. Touches no `window`.
 */
export function readPublicEnv(read: () => string | undefined): string | undefined {
  return typeof process !== 'undefined' ? read() : undefined;
}

/** This bundle's build left the provider's SDK out (NEXT_PUBLIC_REALTIME_PROVIDER named another). */
export function transportNotInThisBuild(provider: ProviderName): RealtimeError {
  return new RealtimeError(
    'invalid_config',
    `this bundle was built with NEXT_PUBLIC_REALTIME_PROVIDER=${process.env.NEXT_PUBLIC_REALTIME_PROVIDER}, so it holds no ${provider} client: build with NEXT_PUBLIC_REALTIME_PROVIDER=${provider}`,
    { provider },
  );
}
