import { RealtimeError } from './errors.js';

const encoder = new TextEncoder();

/** UTF-8 length without allocating for pure-ASCII strings (the common case). */
export function utf8Length(text: string): number {
  // Fast path: every UTF-16 unit below 0x80 is one byte.
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) >= 0x80) return encoder.encode(text).length;
  }
  return text.length;
}

/**
 * Encodes event data once, as JSON, for every provider. Strings are JSON-encoded too: pusher-js
 * JSON-parses whatever it receives, so sending `"123"` raw would arrive as the number 123.
 */
export function encodePayload(data: unknown): string {
  if (data === undefined) {
    throw new RealtimeError('invalid_payload', 'event data is undefined; send null or a value');
  }
  let json: string | undefined;
  try {
    json = JSON.stringify(data);
  } catch (error) {
    throw new RealtimeError('invalid_payload', `event data cannot be encoded as JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (json === undefined) {
    throw new RealtimeError('invalid_payload', `event data of type ${typeof data} cannot be encoded as JSON`);
  }
  return json;
}
