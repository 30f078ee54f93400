/**
 * Every provider's name, once. Each table of the registry is typed by it, so a name without its
 * line in every table does not compile. No imports: the browser client, core's types and the
 * server all read the list from here without reaching any provider part.
 */
export const PROVIDER_NAMES = ['soketi', 'pusher', 'ably', 'memory'] as const;
export type ProviderName = (typeof PROVIDER_NAMES)[number];

export function isProviderName(name: unknown): name is ProviderName {
  return (PROVIDER_NAMES as readonly unknown[]).includes(name);
}
