/**
 * The app's route handlers (createRealtimeHandlers, what app/api/realtime/[...path]/route.ts
 * exports) as the browser client's `fetch`, with a cookie session: the one way tests authorize
 * clients, as production does. No HTTP server: the client's requests become real Web Requests
 * handed to the handlers in-process, and every answer is recorded for assertions.
 */

/** What `createRealtimeHandlers()` returns (GET and POST of the catch-all route). */
export interface RouteHandlers {
  GET(request: Request): Promise<Response>;
  POST(request: Request): Promise<Response>;
}

const SESSION_COOKIE = /(?:^|;\s*)session=([^;]+)/;

/** The session a request carries (the `session` cookie), or undefined when signed out. */
export function sessionOf(request: Request): string | undefined {
  const value = SESSION_COOKIE.exec(request.headers.get('cookie') ?? '')?.[1];
  return value === undefined ? undefined : decodeURIComponent(value);
}

/** An app's `getUser` whose users are just the session's id: `{ id: <session> }`, null when signed out. */
export function sessionUser(request: Request): { id: string } | null {
  const id = sessionOf(request);
  return id ? { id } : null;
}

/** The headers a browser signed in as `session` sends (the library client's `headers` option). */
export function sessionHeaders(session: string): Record<string, string> {
  return { cookie: `session=${encodeURIComponent(session)}` };
}

/** One request a client made to the route handlers, and how they answered. */
export interface RouteRequest {
  /** The session cookie the request carried. */
  session: string | undefined;
  endpoint: 'token' | 'auth' | 'user-auth' | string;
  method: string;
  status: number;
  /** POST /auth: `channel_name`. */
  channel: string | undefined;
  /** GET /token: the `channel` query parameters (what the token should cover). */
  channels: string[];
  /** `socket_id` (form field or query parameter); undefined when absent. */
  socketId: string | undefined;
  /** The `Authorization: Bearer` token the request carried. */
  bearer: string | undefined;
  /** GET /token: the token the handlers issued. */
  token: string | undefined;
  /** GET /token: the answer carried the connection's sign-in too (`userAuthentication`). */
  signedIn: boolean;
  /** The `error.code` of a refusal. */
  code: string | undefined;
  at: number;
}

export interface RouteFetchOptions {
  /** Every request and its answer is appended here. */
  record?: RouteRequest[];
  /**
   * Answers a request before the handlers see it (an outage, a failing proxy): return a Response
   * to answer with it, undefined to let the handlers answer. Not recorded.
   */
  intercept?(request: Request, endpoint: string): Response | undefined;
}

/** A `fetch` that sends the client's auth and token requests straight into the route handlers. */
export function routeFetch(handlers: RouteHandlers | (() => RouteHandlers), options: RouteFetchOptions = {}): typeof fetch {
  return (async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(new URL(input instanceof Request ? input.url : String(input), 'http://app.test'), init);
    const url = new URL(request.url);
    const endpoint = url.pathname.slice(url.pathname.lastIndexOf('/') + 1);
    const intercepted = options.intercept?.(request, endpoint);
    if (intercepted) return intercepted;
    const fields = request.method === 'POST' ? new URLSearchParams(await request.clone().text()) : undefined;
    const app = typeof handlers === 'function' ? handlers() : handlers;
    const response = request.method === 'GET' ? await app.GET(request) : await app.POST(request);
    if (options.record) {
      const body = (await response.clone().json().catch(() => ({}))) as { token?: string; userAuthentication?: unknown; error?: { code?: string } };
      options.record.push({
        session: sessionOf(request),
        endpoint,
        method: request.method,
        status: response.status,
        channel: fields?.get('channel_name') ?? undefined,
        channels: url.searchParams.getAll('channel'),
        socketId: (fields?.get('socket_id') ?? url.searchParams.get('socket_id')) || undefined,
        bearer: /^Bearer (.+)$/.exec(request.headers.get('authorization') ?? '')?.[1],
        token: body.token,
        signedIn: body.userAuthentication !== undefined,
        code: body.error?.code,
        at: Date.now(),
      });
    }
    return response;
  }) as typeof fetch;
}

/**
 * The library client's options for a browser signed in as `session` on the app behind
 * `handlers`: spread them into createRealtimeClient({ provider, ..., ...signedInAs(...) }).
 */
export function signedInAs(handlers: RouteHandlers | (() => RouteHandlers), session: string, options: RouteFetchOptions = {}) {
  return { fetch: routeFetch(handlers, options), headers: sessionHeaders(session) };
}
