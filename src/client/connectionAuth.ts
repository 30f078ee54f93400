import type { ClientTransport, SocketSignIn, TransportAuth, UserAuthentication, UserAuthenticator } from '../core/provider.js';
import { connectionChannelName } from '../core/systemEvents.js';
import { clientPart } from '../registry/clientTransports.js';
import { defaultChannelAuthorizer, defaultUserAuthenticator } from './authRequests.js';
import type { Unsubscribe } from './channelRegistry.js';
import { isTerminalAuthError, toRealtimeError, usesRouteHandlers, type CredentialStore } from './credentials.js';
import { endpointUrl, type ClientOptions } from './options.js';

/** What the connection's authentication needs from the client that owns it. */
export interface ConnectionAuthHost {
  options: ClientOptions;
  credentials: CredentialStore | undefined;
  transport(): ClientTransport | undefined;
  /** Changes whenever the connection does: results for an older one are dropped. */
  generation(): number;
  isConnecting(): boolean;
  isConnected(): boolean;
  /** The user may not connect (401/403): stop in `auth_failed`. */
  authFailed(error: unknown): void;
  /** Close and try again after a backoff delay. */
  retryLater(error: Error): void;
  /** The connection is fully signed in: the next failure starts the backoff from the beginning. */
  signedIn(): void;
  /** Keeps a channel subscribed (the user's connection channel). */
  subscribeAll(channel: string): Unsubscribe;
}

export interface ConnectionAuth {
  /** Handed to the transport: channel signatures, sign-in, tokens, each with the current token. */
  auth: TransportAuth;
  /** A token-identified connection (Ably) still has to sign in by fetching a token for itself. */
  needsTokenSignIn(): boolean;
  signInWithToken(): Promise<void>;
  /** Runs a request to the app's endpoints with the current token (a 401 gets one retry with a new one). */
  withToken<T>(call: (token: string | undefined) => Promise<T>): Promise<T>;
  /**
   * Whether a re-authentication's token request may bring the connection's `pusher:signin`
   * along: the connection signs in against the library's own handlers (default token request and
   * user authenticator) on a Pusher-protocol provider, as a signed-in user.
   */
  signsInWithToken(): boolean;
  /**
   * A sign-in already fetched for a socket (it came with the token): the next sign-in of that
   * socket uses it instead of asking the user authenticator. `undefined` withdraws it.
   */
  offerSignIn(signIn: SocketSignIn | undefined): void;
}

/**
 * How the client's connection and channels authenticate: the current token rides along on every
 * auth request (a 401 gets one retry with a new token); a refusal of the user stops the client.
 */
export function createConnectionAuth(host: ConnectionAuthHost): ConnectionAuth {
  const { options, credentials } = host;

  const tokenForRequest = async (): Promise<string | undefined> => {
    if (!credentials) return undefined;
    try {
      return await credentials.current();
    } catch (error) {
      if (isTerminalAuthError(error)) host.authFailed(error);
      throw error;
    }
  };

  /** Runs an auth request with the current token; a 401 gets one retry with a new token. */
  const withToken = async <T>(call: (token: string | undefined) => Promise<T>): Promise<T> => {
    const token = await tokenForRequest();
    try {
      return await call(token);
    } catch (error) {
      const status = (error as { status?: unknown })?.status;
      if (!credentials || !token || status !== 401) throw error;
      credentials.invalidate(token);
      return call(await tokenForRequest());
    }
  };

  const baseAuthorize = defaultChannelAuthorizer(options);
  /** `signIn` unset: sign in against the library's route handlers (see usesRouteHandlers). */
  const signIn = options.signIn ?? usesRouteHandlers(options);
  const baseAuthenticate = defaultUserAuthenticator(options, signIn);

  /**
   * A signed-in connection joins its user's connection channel (a presence channel, member id =
   * socket id, signed by the route handlers' connection hooks) for its whole life: that is how the
   * server tells live connections from closed ones (connection limits, rotation).
   */
  let connectionChannel: { userId: string; release: Unsubscribe | undefined } | undefined;
  const joinConnectionChannel = (authentication: UserAuthentication) => {
    let userId: string | undefined;
    try {
      const id = (JSON.parse(authentication.user_data) as { id?: unknown }).id;
      userId = typeof id === 'string' || typeof id === 'number' ? String(id) : undefined;
    } catch {
      return;
    }
    if (userId) joinConnectionChannelOf(userId);
  };
  const joinConnectionChannelOf = (userId: string) => {
    if (options.connectionChannel === false) return;
    if (connectionChannel?.userId === userId) return;
    connectionChannel?.release?.();
    const joining: { userId: string; release: Unsubscribe | undefined } = { userId, release: undefined };
    connectionChannel = joining;
    connectionChannelName(userId).then(
      (name) => {
        if (connectionChannel === joining) joining.release = host.subscribeAll(name);
      },
      () => {
        // No Web Crypto (a page served over plain http from another host): nothing to join.
      },
    );
  };

  /**
   * Token-identified transports (Ably) have no `pusher:signin`: a connection signs in by fetching
   * a token for itself (`socket_id` = the transport's connectionId). The server counts it against
   * the user's connection limit (a refusal is `too_many_connections`, handled like a refused sign-in), the
   * connection switches to that token in place, and joins the user's connection channel (its
   * presence tells the server which connections are still alive). Once per connection.
   */
  let signedInConnection: string | undefined;
  const needsTokenSignIn = (): boolean => {
    const transport = host.transport();
    return Boolean(signIn && credentials && !credentials.anonymous && transport?.reauthenticate && transport.userId && transport.connectionId && transport.connectionId !== signedInConnection);
  };
  const signInWithToken = async () => {
    const target = host.transport();
    if (!needsTokenSignIn() || !credentials || !target?.reauthenticate) return;
    const userId = target.userId!;
    const connectionId = target.connectionId!;
    const current = host.generation();
    try {
      let name: string | undefined;
      if (options.connectionChannel !== false) name = await connectionChannelName(userId).catch(() => undefined);
      if (current !== host.generation()) return;
      await credentials.refresh(name ? [name] : []);
      if (current !== host.generation()) return;
      await target.reauthenticate!();
      if (current !== host.generation()) return;
      signedInConnection = connectionId;
      host.signedIn();
      joinConnectionChannelOf(userId);
    } catch (error) {
      if (current !== host.generation()) return;
      if (isTerminalAuthError(error)) host.authFailed(error);
      else host.retryLater(toRealtimeError(error, 'signing the connection in failed'));
    }
  };

  let offeredSignIn: SocketSignIn | undefined;
  /**
   * Who the connection is: a refusal here is the user's, so it stops the client. An anonymous
   * visitor asks too (the handlers may sign guests in, which Soketi's user authentication needs);
   * refused, it stays connected without signing in. A sign-in offered for the socket (it came with
   * the token, see offerSignIn) is used as is.
   */
  const authenticateUser: UserAuthenticator | undefined = baseAuthenticate
    ? async (request) => {
        const offered = offeredSignIn;
        if (offered?.socketId === request.socketId) {
          offeredSignIn = undefined;
          return { auth: offered.auth, user_data: offered.user_data };
        }
        const visitor = credentials?.anonymous === true;
        try {
          const authentication = await withToken((token) => baseAuthenticate({ ...request, token }));
          if (!visitor) joinConnectionChannel(authentication);
          return authentication;
        } catch (error) {
          if (visitor && isTerminalAuthError(error)) throw error;
          if (isTerminalAuthError(error)) host.authFailed(error);
          else if (host.isConnected() || host.isConnecting()) host.retryLater(toRealtimeError(error, 'user authentication failed'));
          throw error;
        }
      }
    : undefined;

  const auth: TransportAuth = {
    authorizeChannel: (request) => withToken((token) => baseAuthorize({ ...request, token })),
    authenticateUser,
    fetchToken: credentials
      ? async (request) => {
          try {
            return await credentials.handOut(request.channels);
          } catch (error) {
            if (isTerminalAuthError(error)) host.authFailed(error);
            throw error;
          }
        }
      : undefined,
  };

  // Only where one catch-all route of the library's handlers answers both the token and the
  // sign-in (same base path): a sign-in served elsewhere (Laravel's /broadcasting/user-auth, say)
  // is asked there, as before.
  const routeOf = (url: string) => url.slice(0, url.lastIndexOf('/') + 1);
  const foldsSignIn =
    Boolean(baseAuthenticate) &&
    !options.authenticateUser &&
    usesRouteHandlers(options) &&
    clientPart(options.provider).auth === 'signatures' &&
    routeOf(endpointUrl.token(options)) === routeOf(endpointUrl.userAuth(options));
  const signsInWithToken = () => foldsSignIn && credentials !== undefined && !credentials.anonymous;

  const offerSignIn = (signIn: SocketSignIn | undefined) => {
    offeredSignIn = signIn;
  };

  return { auth, needsTokenSignIn, signInWithToken, withToken, signsInWithToken, offerSignIn };
}
