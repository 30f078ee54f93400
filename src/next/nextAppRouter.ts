import { createRealtimeFetchHandler, type RealtimeFetchHandler } from './fetchHandler.js';
import type { RealtimeHandlersOptions, RealtimeUser } from './options.js';

/** What Next.js passes as the second argument of a route handler in `[...path]/route.ts`. */
export interface RouteContext {
  params?: Promise<Record<string, string | string[] | undefined>> | Record<string, string | string[] | undefined>;
}

/**
 * `context` is `unknown`, not `RouteContext | undefined`: `next build --webpack` type-checks a
 * route's exports and refuses (TS2344 in .next/types) a second parameter that is not assignable
 * to its own `{ params: Promise<...> }`; `unknown` is the one type it accepts for any route path.
 * The handler reads `params` as a RouteContext at run time.
 */
export type NextRouteHandler = (request: Request, context?: unknown) => Promise<Response>;

export interface RealtimeHandlers {
  GET: NextRouteHandler;
  POST: NextRouteHandler;
  /** The runtime-neutral core, for hosts other than Next.js (`handler(request)`). */
  handler: RealtimeFetchHandler;
}

/**
 * The Next.js App Router adapter:
 *
 * ```ts
 * // app/api/realtime/[...path]/route.ts
 * export const { GET, POST } = createRealtimeHandlers({ realtime, channels, getUser });
 * ```
 *
 * The endpoint is the catch-all segment (`auth`, `user-auth`, `token`, `webhook`), so the route
 * can live under any path; without one (a plain route), the last URL segment is used.
 */
export function createRealtimeHandlers<TUser extends RealtimeUser>(options: RealtimeHandlersOptions<TUser>): RealtimeHandlers {
  const handler = createRealtimeFetchHandler(options);
  const route: NextRouteHandler = async (request, context) => {
    let endpoint: string | undefined;
    const params = await (context as RouteContext | undefined)?.params;
    const segments = params?.path;
    if (Array.isArray(segments)) endpoint = segments.join('/');
    else if (typeof segments === 'string') endpoint = segments;
    return handler(request, endpoint);
  };
  return { GET: route, POST: route, handler };
}
