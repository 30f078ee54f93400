import { assertChannelName, channelKind } from './channels.js';
import { RealtimeError } from './errors.js';
import { assertEventName } from './events.js';
import type { ProviderLimits } from './limits.js';
import { encodePayload, utf8Length } from './payload.js';
import type { OutgoingEvent } from './provider.js';
import type { ProviderName } from './errors.js';

export interface PublishOptions {
  /** The publishing client's socket id: that connection does not receive its own event. */
  socketId?: string | undefined;
}

/**
 * Validates and encodes one publish. Everything a provider would reject is rejected here, before
 * any byte leaves the process, so a failed publish never half-happens.
 */
export function preparePublish(
  provider: ProviderName,
  limits: ProviderLimits,
  channelOrChannels: string | readonly string[],
  event: string,
  data: unknown,
  options: PublishOptions = {},
): OutgoingEvent {
  const channels = typeof channelOrChannels === 'string' ? [channelOrChannels] : channelOrChannels;
  if (!Array.isArray(channels) || channels.length === 0) {
    throw new RealtimeError('invalid_channel', 'publish needs at least one channel', { provider });
  }
  if (channels.length > limits.maxChannelsPerPublish) {
    throw new RealtimeError(
      'too_many_channels',
      `publish names ${channels.length} channels; ${provider} accepts at most ${limits.maxChannelsPerPublish} per publish`,
      { provider, details: { channels: channels.length, limit: limits.maxChannelsPerPublish } },
    );
  }
  for (const channel of channels) assertChannelName(channel);
  if (channels.length > 1 && channels.some((channel) => channelKind(channel) === 'private-encrypted')) {
    throw new RealtimeError(
      'invalid_channel',
      'an encrypted channel must be published to on its own (each has its own key)',
      { provider },
    );
  }
  if (new Set(channels).size !== channels.length) {
    throw new RealtimeError('invalid_channel', 'publish names the same channel twice', { provider });
  }
  assertEventName(event);
  const socketId = options.socketId;
  if (socketId !== undefined && (typeof socketId !== 'string' || !limits.socketIdPattern.test(socketId))) {
    throw new RealtimeError('invalid_socket_id', `socket id ${JSON.stringify(socketId)} is not a ${provider} socket id`, {
      provider,
    });
  }
  const json = encodePayload(data);
  const size = utf8Length(json);
  if (size > limits.maxPayloadBytes) {
    throw new RealtimeError(
      'payload_too_large',
      `event data is ${size} bytes as JSON; ${provider} accepts at most ${limits.maxPayloadBytes} bytes per event`,
      { provider, details: { size, limit: limits.maxPayloadBytes } },
    );
  }
  return { channels: [...channels], event, data, json, socketId };
}

export interface BatchItem {
  channel: string;
  event: string;
  data: unknown;
  socketId?: string | undefined;
}

export function prepareBatch(
  provider: ProviderName,
  limits: ProviderLimits,
  items: readonly BatchItem[],
): OutgoingEvent[] {
  if (!Array.isArray(items) || items.length === 0) {
    throw new RealtimeError('invalid_payload', 'a batch needs at least one event', { provider });
  }
  if (items.length > limits.maxBatchSize) {
    throw new RealtimeError(
      'batch_too_large',
      `batch has ${items.length} events; ${provider} accepts at most ${limits.maxBatchSize} per batch (split it)`,
      { provider, details: { events: items.length, limit: limits.maxBatchSize } },
    );
  }
  return items.map((item, index) => {
    if (typeof item?.channel !== 'string') {
      throw new RealtimeError('invalid_channel', `batch event ${index} needs a single channel name`, { provider });
    }
    try {
      return preparePublish(provider, limits, item.channel, item.event, item.data, { socketId: item.socketId });
    } catch (error) {
      if (error instanceof RealtimeError) {
        throw new RealtimeError(error.code, `batch event ${index}: ${error.message}`, {
          provider,
          details: { ...error.details, index },
        });
      }
      throw error;
    }
  });
}
