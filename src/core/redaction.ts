/**
 * Keeps secrets, and anything signed with them, out of error messages and log lines.
 *
 * What leaks in practice is not the secret itself but what the SDKs put into their errors: the
 * full signed REST URL (`?auth_key=...&auth_signature=...`, replayable within its timestamp
 * window), tokens, `key:signature` auth strings, credentials in connection URLs. Those have
 * recognisable shapes, so every RealtimeError message and every cause it keeps goes through
 * `redactSecrets` (errors.ts); places that know the configured secrets also pass them, so a
 * secret that turns up verbatim (an app's own error message) is removed as well.
 */

export const REDACTED = '[redacted]';

const RULES: ReadonlyArray<[RegExp, string]> = [
  // The query string of any URL: signatures, keys, body digests, tokens.
  [/(\b[a-z][a-z0-9+.-]*:\/\/[^\s?#"'<>]*)\?[^\s#"'<>]*/gi, `$1?${REDACTED}`],
  // Credentials in a URL: scheme://user:password@host.
  [/(\b[a-z][a-z0-9+.-]*:\/\/)[^\s/@:"'<>]+:[^\s/@"'<>]*@/gi, `$1${REDACTED}@`],
  // Credential fields of JSON bodies (Pusher auth responses, tokens).
  [
    /("(?:auth|auth_signature|shared_secret|channel_data|user_data|secret|password|token|access_token|refresh_token|api_key|apikey|authorization)"\s*:\s*)"(?:[^"\\]|\\.)*"/gi,
    `$1"${REDACTED}"`,
  ],
  // Named values in query strings, forms and `name: value` text (not part of a longer name such
  // as `user-auth` or `REALTIME_TOKEN_SECRETS`).
  [
    /((?<![\w/.-])(?:auth_signature|auth_key|auth|signature|shared_secret|secret|password|passwd|token|access_token|refresh_token|api_key|apikey)(?:=|:[ \t]*))(?!\[redacted\])[^\s"'&,;}]+/gi,
    `$1${REDACTED}`,
  ],
  // HTTP credentials.
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/g, `$1 ${REDACTED}`],
  // JWTs (Ably tokens, the library's own tokens) wherever they appear.
  [/\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g, REDACTED],
  // Pusher auth strings `key:hex-signature` and Ably API keys `app.key:secret`.
  [/\b([A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)?):[0-9a-f]{64}\b/gi, `$1:${REDACTED}`],
  [/\b([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+):[A-Za-z0-9_-]{20,}[A-Za-z0-9_+/=-]*/g, `$1:${REDACTED}`],
];

/** Shorter "secrets" are not replaced verbatim: they would blank out ordinary words. */
const MIN_KNOWN_SECRET_LENGTH = 6;

/** `text` without credential-shaped parts, and without any of `knownSecrets` verbatim. */
export function redactSecrets(text: string, knownSecrets: readonly string[] = []): string {
  let out = text;
  for (const secret of knownSecrets) {
    if (secret.length >= MIN_KNOWN_SECRET_LENGTH) out = out.split(secret).join(REDACTED);
  }
  for (const [pattern, replacement] of RULES) out = out.replace(pattern, replacement);
  return out;
}

/**
 * What an error may keep as its `cause`: a plain Error with the name, the redacted message, the
 * system error code (`ECONNREFUSED`) and a redacted cause chain; never the SDK's own fields
 * (request URLs, headers, bodies), which `console.error(error)` would print.
 */
export function redactedCause(cause: unknown, depth = 0): unknown {
  if (cause === undefined || cause === null) return cause;
  if (!(cause instanceof Error)) {
    return typeof cause === 'string' ? redactSecrets(cause) : typeof cause === 'object' ? '[object]' : cause;
  }
  const inner = (cause as { error?: unknown; cause?: unknown }).cause ?? (cause as { error?: unknown }).error;
  const copy = new Error(
    redactSecrets(cause.message),
    depth < 3 && inner instanceof Error ? { cause: redactedCause(inner, depth + 1) } : undefined,
  );
  copy.name = cause.name;
  const code = (cause as { code?: unknown }).code;
  if (typeof code === 'string' || typeof code === 'number') (copy as Error & { code?: unknown }).code = code;
  if (cause.stack) copy.stack = redactSecrets(cause.stack);
  return copy;
}
