/**
 * What a provider accepts in one request. Checked before anything leaves the process, so an
 * oversized publish fails with a clear error instead of a provider's 413 (or, on Soketi, an
 * error hidden inside an HTTP 200). Each provider's defaults are in its folder's limits.ts.
 */
export interface ProviderLimits {
  /** Bytes of the JSON-encoded `data` of one event. */
  maxPayloadBytes: number;
  /** Channels one publish may name. */
  maxChannelsPerPublish: number;
  /** Events one batch may carry. */
  maxBatchSize: number;
  /** The form of the id a client gives to exclude itself from a publish. */
  socketIdPattern: RegExp;
}
