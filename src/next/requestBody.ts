import { HandlerError } from './responses.js';

/** Auth requests carry two short fields; anything bigger is not from pusher-js or our client. */
export const DEFAULT_MAX_BODY_BYTES = 8 * 1024;

type BodyKind = 'form' | 'json';

function mediaType(request: Request): string {
  return (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
}

/**
 * Reads at most `maxBytes` of the body as UTF-8, without trusting Content-Length (a chunked
 * body has none, and a lying one must not make us buffer more).
 */
export async function readBodyText(request: Request, maxBytes: number): Promise<string> {
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > maxBytes) {
    throw new HandlerError(413, 'payload_too_large', `the request body is larger than ${maxBytes} bytes`);
  }
  if (!request.body) return '';
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new HandlerError(413, 'payload_too_large', `the request body is larger than ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new HandlerError(400, 'invalid_payload', 'the request body is not valid UTF-8');
  }
}

/**
 * The fields of a form-encoded (what pusher-js sends) or JSON body, as strings. A field given
 * twice, or as anything but a string, is refused rather than guessed at.
 */
export async function readFields(request: Request, maxBytes: number): Promise<Record<string, string>> {
  const type = mediaType(request);
  let kind: BodyKind;
  if (type === 'application/x-www-form-urlencoded') kind = 'form';
  else if (type === 'application/json') kind = 'json';
  else {
    throw new HandlerError(
      415,
      'unsupported_media_type',
      'send the body as application/x-www-form-urlencoded (what pusher-js sends) or application/json',
    );
  }
  const text = await readBodyText(request, maxBytes);
  const fields: Record<string, string> = Object.create(null);
  if (kind === 'form') {
    const params = new URLSearchParams(text);
    for (const key of new Set(params.keys())) {
      const values = params.getAll(key);
      if (values.length > 1) throw new HandlerError(400, 'invalid_payload', `the field ${JSON.stringify(key.slice(0, 40))} is given more than once`);
      fields[key] = values[0]!;
    }
    return fields;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new HandlerError(400, 'invalid_payload', 'the request body is not valid JSON');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new HandlerError(400, 'invalid_payload', 'the JSON body must be an object');
  }
  for (const [key, value] of Object.entries(parsed)) {
    if (typeof value === 'string') fields[key] = value;
    else if (key === 'socket_id' || key === 'channel_name') {
      throw new HandlerError(400, key === 'socket_id' ? 'invalid_socket_id' : 'invalid_channel', `${key} must be a string`);
    }
  }
  return fields;
}

export function isJsonRequest(request: Request): boolean {
  return mediaType(request) === 'application/json';
}
