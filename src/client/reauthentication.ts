import { RealtimeError } from '../core/errors.js';
import type { ClientTransport, SocketSignIn } from '../core/provider.js';
import type { ReauthRequired } from '../core/systemEvents.js';
import { isTerminalAuthError, toRealtimeError, type CredentialStore } from './credentials.js';

/** What re-authentication needs from the client that owns it. */
export interface ReauthenticationHost {
  credentials: CredentialStore | undefined;
  /** The connected transport, or undefined when not connected. */
  connectedTransport(): ClientTransport | undefined;
  generation(): number;
  /** Reconnects with a fresh token (a transport that cannot re-authenticate in place). */
  reconnect(): Promise<void>;
  /** Whether the client is connected now, and if not, why. */
  isConnected(): boolean;
  lastError(): Error | undefined;
  reauthenticated(rotationId: string | undefined): void;
  reauthFailed(error: RealtimeError): void;
  authFailed(error: unknown): void;
  /** Spread window for `reauth_required`, in ms. */
  spreadMs: number;
  /** Whether the token request can bring the connection's sign-in along (see ConnectionAuth). */
  signsInWithToken(): boolean;
  /** The sign-in that came with the token: the transport's next sign-in of that socket uses it. */
  offerSignIn(signIn: SocketSignIn | undefined): void;
}

export interface Reauthentication {
  /** Fetches a fresh token and re-authenticates the open connection in place (joins one in flight). */
  reauthenticate(rotationId?: string): Promise<void>;
  /** `reauth_required` arrived on the system channel. */
  onReauthRequired(data: ReauthRequired | undefined): void;
  /** The client stopped: a scheduled re-authentication is dropped. */
  cancel(): void;
}

export function createReauthentication(host: ReauthenticationHost): Reauthentication {
  let inFlight: Promise<void> | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const handledRotations = new Set<string>();

  const reauthenticate = (rotationId?: string): Promise<void> => {
    inFlight ??= (async () => {
      try {
        const transport = host.connectedTransport();
        if (!transport) {
          // Not connected: the next connect fetches a fresh token anyway.
          host.credentials?.clear();
          return;
        }
        const current = host.generation();
        // The sign-in comes with the token where the server can sign it: one request each.
        const fresh = host.credentials ? await host.credentials.refresh([], { signIn: host.signsInWithToken() }) : undefined;
        if (current !== host.generation()) return;
        // A transport that cannot re-authenticate in place reconnects with the fresh token.
        // A rotation changes the token key only: the policy is re-checked when the app asks
        // (client.reauthenticate()), not by every connection within the rotation's deadline.
        if (transport.reauthenticate) {
          host.offerSignIn(fresh?.userAuthentication);
          try {
            await transport.reauthenticate({ recheckChannels: rotationId === undefined });
          } finally {
            host.offerSignIn(undefined);
          }
        } else await host.reconnect();
        if (!host.isConnected()) throw host.lastError() ?? new RealtimeError('closed', 'the connection closed while re-authenticating');
        host.reauthenticated(rotationId);
      } catch (error) {
        const failure = toRealtimeError(error, 're-authentication failed');
        host.reauthFailed(failure);
        if (isTerminalAuthError(failure)) host.authFailed(failure);
        throw failure;
      } finally {
        inFlight = undefined;
      }
    })();
    return inFlight;
  };

  return {
    reauthenticate,
    onReauthRequired(data) {
      const rotationId = typeof data?.rotationId === 'string' ? data.rotationId : undefined;
      if (rotationId) {
        if (handledRotations.has(rotationId)) return;
        handledRotations.add(rotationId);
      }
      const deadline = typeof data?.deadline === 'number' ? data.deadline : undefined;
      // Spread the fleet's token requests, but finish well before the deadline.
      const window = Math.min(host.spreadMs, deadline === undefined ? host.spreadMs : Math.max(0, (deadline - Date.now()) / 2));
      clearTimeout(timer);
      timer = setTimeout(() => {
        reauthenticate(rotationId).catch(() => {
          // Reported through the reauth_failed event (and auth_failed when terminal).
        });
      }, Math.floor(Math.random() * window));
    },
    cancel() {
      clearTimeout(timer);
    },
  };
}
