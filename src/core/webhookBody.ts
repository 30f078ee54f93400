import { RealtimeError } from './errors.js';

/** Helpers the providers' webhook normalisers share (providers/<name>/webhooks.ts). */
export function parseMaybeJson(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

export const isString = (value: unknown): value is string => typeof value === 'string' && value.length > 0;
export const invalidWebhook = (message: string) => new RealtimeError('invalid_payload', `webhook body: ${message}`);

export function asArray(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.filter((entry): entry is Record<string, unknown> => !!entry && typeof entry === 'object') : [];
}

