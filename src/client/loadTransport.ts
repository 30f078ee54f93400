import type { ClientTransport, TransportAuth } from '../core/provider.js';
import { loadProviderTransport } from '../registry/clientTransports.js';
import type { ClientOptions } from './options.js';

/** Loads only the chosen provider's browser SDK, through the browser-side provider registry. */
export function loadClientTransport(options: ClientOptions, auth: TransportAuth): Promise<ClientTransport> {
  return loadProviderTransport(options, auth);
}
