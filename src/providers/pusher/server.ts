import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { ProviderName } from '../../core/errors.js';
import type { ProviderLimits } from '../../core/limits.js';
import type { OutgoingEvent, ServerProvider } from '../../core/provider.js';
import { CONNECTION_CLOSED_EVENT } from '../../core/systemEvents.js';
import type { PusherConfig } from './config.js';
import type { PusherCredentials } from './channelAuthorization.js';
import { pusherRequestError, throwIfErrorBody } from './errors.js';
import { loadServerSdk } from '../serverSdk.js';

// The SDK is loaded by Node at run time, never resolved by the app's bundler: `pusher` is an
// optional peer, and Turbopack and webpack fail a build on any import they can see of a package
// that is not installed, even in code the app never runs (an app on Ably has no `pusher`).
// The magic comments tell both bundlers to leave this import to Node.
const { default: Pusher } = await loadServerSdk('pusher', () => import(/* webpackIgnore: true */ /* turbopackIgnore: true */ 'pusher'));
type Pusher = InstanceType<typeof Pusher>;

export interface PusherProtocolServerOptions extends PusherCredentials {
  provider: ProviderName;
  appId: string;
  limits: ProviderLimits;
  /** Either a Pusher cluster or an explicit host (Soketi, a stand-in). */
  cluster?: string | undefined;
  host?: string | undefined;
  port?: number | undefined;
  useTLS: boolean;
  /** Milliseconds before a request is abandoned and reported as provider_unavailable. */
  timeoutMs?: number;
}

/**
 * The Pusher HTTP API through the official SDK, shared by the pusher and soketi providers.
 *
 * One keep-alive agent per instance: pusher-http-node opens a new TCP (and TLS) connection per
 * request without one, which makes every publish several times slower.
 */
export function createPusherProtocolServer(options: PusherProtocolServerOptions): ServerProvider {
  const agent = options.useTLS
    ? new HttpsAgent({ keepAlive: true, maxSockets: 64 })
    : new HttpAgent({ keepAlive: true, maxSockets: 64 });
  const base = {
    appId: options.appId,
    key: options.key,
    secret: options.secret,
    useTLS: options.useTLS,
    agent,
    timeout: options.timeoutMs ?? 10_000,
    ...(options.encryptionMasterKeyBase64 ? { encryptionMasterKeyBase64: options.encryptionMasterKeyBase64 } : {}),
  };
  const pusher = options.host
    ? new Pusher({ ...base, host: options.host, ...(options.port ? { port: String(options.port) } : {}) })
    : new Pusher({ ...base, cluster: options.cluster ?? 'mt1' });
  const provider = options.provider;

  // Every response body is read: Soketi reports errors inside HTTP 200 bodies, and an unread body
  // would also pin the keep-alive socket.
  async function send(request: () => Promise<{ text(): Promise<string> }>): Promise<void> {
    let response: { text(): Promise<string> };
    try {
      response = await request();
    } catch (error) {
      throw pusherRequestError(provider, error);
    }
    throwIfErrorBody(provider, await response.text());
  }

  const dataFor = (event: OutgoingEvent, channel: string | undefined) =>
    // The SDK encrypts (and JSON-encodes) the value itself for encrypted channels; elsewhere it
    // passes a string through untouched, so the JSON is encoded exactly once.
    channel?.startsWith('private-encrypted-') ? event.data : event.json;

  return {
    name: provider,
    limits: options.limits,
    publish(event) {
      const params = event.socketId ? { socket_id: event.socketId } : undefined;
      const channels = [...event.channels];
      return send(() => pusher.trigger(channels, event.event, dataFor(event, channels[0]), params));
    },
    publishBatch(events) {
      const batch = events.map((event) => {
        const channel = event.channels[0]!;
        return {
          channel,
          name: event.event,
          data: dataFor(event, channel),
          ...(event.socketId ? { socket_id: event.socketId } : {}),
        };
      });
      return send(() => pusher.triggerBatch(batch));
    },
    async terminateUserConnections(userId, reason) {
      // Soketi and Pusher close with 4009 and a fixed text; the event sent just before carries
      // our reason on the same socket, so it arrives first. It is only an explanation: if it
      // cannot be sent, the connections are still closed.
      if (reason) await send(() => pusher.sendToUser(userId, CONNECTION_CLOSED_EVENT, JSON.stringify(reason))).catch(() => undefined);
      // The SDK signs the path as given but the HTTP client sends it percent-encoded, so an id
      // with a space or non-ASCII letter would fail the signature check: encode it first.
      await send(() => pusher.terminateUserConnections(encodeURIComponent(userId)));
    },
    async presenceMemberIds(channel) {
      let response: { text(): Promise<string> };
      try {
        response = await pusher.get({ path: `/channels/${encodeURIComponent(channel)}/users`, params: {} });
      } catch (error) {
        throw pusherRequestError(provider, error);
      }
      const body = await response.text();
      throwIfErrorBody(provider, body);
      const parsed = JSON.parse(body) as { users?: Array<{ id: unknown }> };
      return (parsed.users ?? []).map((user) => String(user.id));
    },
    async close() {
      agent.destroy();
    },
  };
}

export function createPusherServer(config: PusherConfig, limits: ProviderLimits): ServerProvider {
  return createPusherProtocolServer({
    provider: 'pusher',
    appId: config.appId,
    key: config.key,
    secret: config.secret,
    encryptionMasterKeyBase64: config.encryptionMasterKeyBase64,
    cluster: config.cluster,
    host: config.host,
    port: config.port,
    useTLS: config.useTLS,
    limits,
  });
}
