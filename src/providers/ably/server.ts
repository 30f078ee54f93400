import type { Rest as AblyRest, BatchPublishSpec, BatchResult, ClientOptions, PaginatedResult, PresenceMessage } from 'ably';
import { RealtimeError } from '../../core/errors.js';
import { keyringFromAblyKeys, type Keyring, type KeyringEntry } from '../../core/keyring.js';
import type { ProviderLimits } from '../../core/limits.js';
import type { OutgoingEvent, ServerProvider } from '../../core/provider.js';
import { CONNECTION_CLOSED_EVENT, connectionChannelName } from '../../core/systemEvents.js';
import { assertUserId } from '../../core/users.js';
import type { AblyConfig } from './config.js';
import { toAblyChannel } from './channels.js';
import { ablyError } from './errors.js';
import { loadServerSdk } from '../serverSdk.js';

// Loaded by Node at run time, never resolved by the app's bundler: `ably` is an optional peer,
// and Turbopack and webpack fail a build on any import they can see of a package that is not
// installed, even in code the app never runs (an app on Soketi has no `ably`).
const { Rest } = await loadServerSdk('ably', () => import(/* webpackIgnore: true */ /* turbopackIgnore: true */ 'ably'));
type Rest = AblyRest;

export interface AblyServerOptions {
  /** Milliseconds before one REST request is abandoned (ably-js `httpRequestTimeout`). Default 10 s. */
  timeoutMs?: number;
  /** Extra attempts after a network failure or 5xx. Default 2. Ids make them safe (see below). */
  retries?: number;
  /**
   * Which key makes the REST requests right now: the auth part's signing keyring (auth.ts), so a
   * rotation moves requests off a retired key too. Default: the configured first key.
   */
  signingKeyring?: () => Keyring;
}

/** ably-js message fields we send. `data` is the JSON text with `encoding: 'json'` (see publish). */
interface OutgoingAblyMessage {
  id: string;
  name: string;
  data: string;
  encoding: 'json';
  connectionKey?: string;
}

/**
 * Ably through its REST API (ably-js `Rest`).
 *
 * - Data: the JSON the caller's value was validated as, sent with `encoding: 'json'`, so every
 *   Ably client (ours or any other SDK) decodes it back to the value, numbers and null included
 *   (ably-js would refuse a bare number as data).
 * - Idempotency: every publish carries explicit message ids; Ably drops a message whose id it
 *   has already seen on that channel, so a retry after a lost response never delivers twice.
 * - Sender exclusion: the socket id is the publishing browser's Ably connection key; Ably treats
 *   the message as that connection's, and our transport connects with `echoMessages: false`.
 * - Bounded: each request has a timeout, and retries are few, so a publish never hangs.
 */
export function createAblyServer(config: AblyConfig, limits: ProviderLimits, options: AblyServerOptions = {}): ServerProvider {
  /** Every configured key: revocation goes through each. */
  const keyring = keyringFromAblyKeys(config.apiKeys);
  const signing = options.signingKeyring ?? (() => keyring);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const retries = options.retries ?? 2;
  const clients = new Map<string, Rest>();
  let closed = false;

  const restFor = (key: KeyringEntry): Rest => {
    let rest = clients.get(key.kid);
    if (!rest) {
      const clientOptions: ClientOptions = {
        key: `${key.kid}:${key.secret}`,
        tls: config.tls,
        idempotentRestPublishing: true,
        httpRequestTimeout: timeoutMs,
        // Ably checks the whole message (name and all); ours checks the data before sending.
        maxMessageSize: Math.max(limits.maxPayloadBytes + 1024, 65_536),
        logLevel: 0,
        ...(config.endpoint ? { endpoint: config.endpoint } : {}),
        // An explicit port is a stand-in or proxy: one host, no fallbacks.
        ...(config.port ? { port: config.port, tlsPort: config.port, fallbackHosts: [] } : {}),
      };
      rest = new Rest(clientOptions);
      clients.set(key.kid, rest);
    }
    return rest;
  };

  const attempt = async (action: string, request: () => Promise<void>): Promise<void> => {
    for (let attemptNumber = 0; ; attemptNumber++) {
      if (closed) throw new RealtimeError('closed', 'this realtime instance was closed', { provider: 'ably' });
      try {
        await request();
        return;
      } catch (error) {
        const failure = ablyError(error, action);
        // Rate limits are not retried here: hammering makes them worse; the caller decides.
        if (failure.code !== 'provider_unavailable' || attemptNumber >= retries) throw failure;
        await new Promise((resolve) => setTimeout(resolve, 100 * 3 ** attemptNumber));
      }
    }
  };

  const messageFor = (event: OutgoingEvent, id: string): OutgoingAblyMessage => ({
    id,
    name: event.event,
    data: event.json,
    encoding: 'json',
    ...(event.socketId ? { connectionKey: event.socketId } : {}),
  });

  const throwIfBatchFailed = (results: ReadonlyArray<BatchResult<unknown>>, action: string) => {
    for (const result of results) {
      if (!result.failureCount) continue;
      const failed = (result.results as Array<{ channel?: string; error?: unknown }>).find((entry) => entry.error);
      const error = ablyError(failed?.error, `${action} to ${failed?.channel ?? 'a channel'}`);
      throw error;
    }
  };

  /** One batch request, one spec (channel, message) per event; ids make the retries safe. */
  const batchPublish = async (events: readonly OutgoingEvent[], read: (results: ReadonlyArray<BatchResult<unknown>>) => void) => {
    const base = messageBase();
    const specs = events.map((event, index) => ({
      channels: [toAblyChannel(event.channels[0]!)],
      messages: [messageFor(event, `${base}:${index}`)],
    }));
    const rest = restFor(signing().current);
    await attempt('the batch publish', async () => {
      read(await rest.batchPublish(specs as unknown as BatchPublishSpec[]));
    });
  };

  return {
    name: 'ably',
    limits,
    async publish(event) {
      const channels = event.channels.map(toAblyChannel);
      const message = messageFor(event, messageId(0));
      const rest = restFor(signing().current);
      if (channels.length === 1) {
        await attempt('the publish', async () => {
          await rest.channels.get(channels[0]!).publish(message);
        });
        return;
      }
      await attempt('the publish', async () => {
        const result = await rest.batchPublish({ channels, messages: [message] } as unknown as BatchPublishSpec);
        throwIfBatchFailed([result], 'the publish');
      });
    },
    async publishBatch(events) {
      await batchPublish(events, (results) => throwIfBatchFailed(results, 'the batch publish'));
    },
    async publishEach(events) {
      // One result per spec, in order; a failed spec names its own channel's error.
      let outcomes: Array<Error | undefined> = [];
      await batchPublish(events, (results) => {
        outcomes = results.map((result, index) => {
          if (!result.failureCount) return undefined;
          const failed = (result.results as Array<{ error?: unknown }>).find((entry) => entry.error);
          return ablyError(failed?.error, `the publish to ${events[index]!.channels[0]}`);
        });
      });
      return outcomes;
    },
    async terminateUserConnections(userId, reason) {
      assertUserId(userId);
      if (reason) {
        // Why, first (as Pusher's send-to-user): every signed-in connection of the user is on its
        // connection channel. Only an explanation: if it cannot be sent, the tokens are still revoked.
        const json = JSON.stringify(reason);
        await restFor(signing().current)
          .channels.get(toAblyChannel(await connectionChannelName(userId)))
          .publish(messageFor({ channels: [], event: CONNECTION_CLOSED_EVENT, data: reason, json }, messageId(0)))
          .catch(() => undefined);
      }
      // A token is revoked through the key that signed it: ask every configured key. A key a
      // rotation retired signs nothing any more and may already be revoked at Ably (then its
      // tokens are dead anyway): a failure there does not stop the logout.
      for (const key of keyring.entries) {
        const revoking = attempt('the token revocation', async () => {
          const result = await restFor(key).auth.revokeTokens([{ type: 'clientId', value: userId }]);
          throwIfBatchFailed([result], 'the token revocation');
        });
        if (signing().find(key.kid)) await revoking;
        else await revoking.catch(() => undefined);
      }
    },
    async presenceMemberIds(channel) {
      // Ably's connectionId of each member: the id our client signs its connection in with (the
      // transport's `connectionId`). Ably sets it, the client cannot claim another one.
      const ids: string[] = [];
      await attempt('the presence request', async () => {
        ids.length = 0;
        let page: PaginatedResult<PresenceMessage> | null = await restFor(signing().current).channels.get(toAblyChannel(channel)).presence.get({ limit: 1000 });
        for (let pages = 0; page && pages < 100; pages++) {
          for (const member of page.items) ids.push(member.connectionId);
          page = page.hasNext() ? await page.next() : null;
        }
      });
      return ids;
    },
    async close() {
      closed = true;
      for (const rest of clients.values()) (rest as unknown as { close?: () => void }).close?.();
      clients.clear();
    },
  };

  /** Ably's idempotent id form: a random base unique to this publish, then `:index`. */
  function messageId(index: number): string {
    return `${messageBase()}:${index}`;
  }
}

function messageBase(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
