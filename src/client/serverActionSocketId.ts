import { SOCKET_ID_HEADER } from '../core/socketId.js';

/**
 * Sender exclusion for Next.js server actions.
 *
 * A server action is a POST that Next's router sends with the page's `window.fetch` and a
 * `Next-Action` header; the app cannot add headers to it, and its arguments are the app's own
 * (`<form action={markPaid.bind(null, id)}>` passes FormData). A cookie would be shared by every
 * tab of the site, so it cannot say which connection sent the request. What is per tab is the
 * page's own `fetch`: the client wraps it once, and every server action request from this tab
 * carries `X-Socket-ID` with this tab's live connection, so `socketIdFromHeaders(await headers())`
 * in the action works for form actions and direct calls alike.
 *
 * Only requests with a `Next-Action` header to this page's origin are touched, never one that
 * already names a socket id. Clients are held weakly: one that is garbage-collected or not
 * connected adds nothing; with several connected clients in one tab the last one created wins.
 */
const ACTION_HEADER = 'next-action';

const clients: Array<WeakRef<{ readonly socketId: string | undefined }>> = [];
let installed = false;

function currentSocketId(): string | undefined {
  for (let index = clients.length - 1; index >= 0; index--) {
    const client = clients[index]!.deref();
    if (!client) clients.splice(index, 1);
    else if (client.socketId) return client.socketId;
  }
  return undefined;
}

function isServerAction(input: RequestInfo | URL, headers: Headers): boolean {
  if (!headers.has(ACTION_HEADER)) return false;
  const url = input instanceof Request ? input.url : String(input);
  try {
    return new URL(url, window.location.href).origin === window.location.origin;
  } catch {
    return false;
  }
}

export function sendSocketIdWithServerActions(client: { readonly socketId: string | undefined }): void {
  if (typeof window === 'undefined' || typeof window.fetch !== 'function' || typeof WeakRef === 'undefined') return;
  clients.push(new WeakRef(client));
  if (installed) return;
  installed = true;
  const pageFetch = window.fetch;
  window.fetch = function fetchWithSocketId(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
    const socketId = isServerAction(input, headers) && !headers.has(SOCKET_ID_HEADER) ? currentSocketId() : undefined;
    if (!socketId) return pageFetch.call(this, input, init);
    headers.set(SOCKET_ID_HEADER, socketId);
    return pageFetch.call(this, input, { ...init, headers });
  };
}
