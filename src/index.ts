export { RealtimeError, isRealtimeError, REALTIME_ERROR_CODES, type RealtimeErrorCode, type ProviderName } from './core/errors.js';
export {
  channelKind,
  channelNameProblem,
  assertChannelName,
  requiresAuthorization,
  CHANNEL_NAME_PATTERN,
  MAX_CHANNEL_NAME_LENGTH,
  type ChannelKind,
} from './core/channels.js';
export { eventNameProblem, MAX_EVENT_NAME_LENGTH } from './core/events.js';
export type { ProviderLimits } from './core/limits.js';
export { DEFAULT_LIMITS } from './registry/limits.js';
export type { ConnectionState, PresenceMember, ChannelAuthorization, UserAuthentication } from './core/provider.js';
export {
  defineChannels,
  type ChannelPolicy,
  type ChannelDecision,
  type ChannelPolicyDefinitions,
  type ChannelPolicyCallback,
  type ChannelPolicyResult,
  type ChannelPatternParams,
  type ChannelPatternParamNames,
} from './core/channelPolicy.js';
export {
  defineEvents,
  parseEventPayload,
  type EventDefinitions,
  type EventSchemas,
  type EventName,
  type EventPayload,
  type EventInput,
  type Register,
  type RegisteredEvents,
  type KnownEventName,
  type KnownEventPayload,
} from './core/eventDefinitions.js';
export {
  SYSTEM_CHANNEL,
  REAUTH_REQUIRED_EVENT,
  CONNECTION_CLOSED_EVENT,
  CONNECTION_CHANNEL_PREFIX,
  connectionChannelName,
  type TokenResponse,
  type ReauthRequired,
  type ConnectionClosed,
} from './core/systemEvents.js';
