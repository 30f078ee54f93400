import type { ProviderLimits } from '../../core/limits.js';
import type { ServerProvider } from '../../core/provider.js';
import { createPusherProtocolServer } from '../pusher/server.js';
import type { SoketiConfig } from './config.js';

/**
 * Soketi speaks the Pusher protocol at a host you run. What differs from Pusher cloud is
 * handled elsewhere in one place each: errors inside HTTP 200 bodies (pusher/errors.ts reads
 * every body), a configurable payload limit (SOKETI_EVENT_MAX_SIZE_IN_KB, default 100 KB).
 */
export function createSoketiServer(config: SoketiConfig, limits: ProviderLimits): ServerProvider {
  return createPusherProtocolServer({
    provider: 'soketi',
    appId: config.appId,
    key: config.key,
    secret: config.secret,
    encryptionMasterKeyBase64: config.encryptionMasterKeyBase64,
    host: config.host,
    port: config.port,
    useTLS: config.useTLS,
    limits,
  });
}
