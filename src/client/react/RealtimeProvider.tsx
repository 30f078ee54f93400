'use client';
import { createContext, useContext, useEffect, useRef, useState, type ReactNode } from 'react';
import { RealtimeError } from '../../core/errors.js';
import type { ClientOptionsInput } from '../options.js';
import { createRealtimeClient, type RealtimeClient } from '../realtimeClient.js';

const RealtimeContext = createContext<RealtimeClient | null>(null);

export interface RealtimeProviderProps {
  /** A client you created yourself (shared, or configured in code). The provider never closes it. */
  client?: RealtimeClient;
  /**
   * Options for a client the provider creates and owns (closed when the provider unmounts).
   * Default: read from the `NEXT_PUBLIC_REALTIME_*` variables.
   */
  options?: ClientOptionsInput;
  children?: ReactNode;
}

/**
 * Makes one client available to the hooks below it. Rendering it (also on the server) creates at
 * most a client object: nothing connects until a hook subscribes in the browser, because hooks
 * subscribe in effects, which never run during server rendering.
 */
export function RealtimeProvider({ client, options, children }: RealtimeProviderProps) {
  // The initializer may run twice under StrictMode; an unused client costs nothing (it is lazy).
  const [owned] = useState(() => (client ? undefined : createRealtimeClient(options)));
  const value = client ?? owned!;
  const pendingClose = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => {
    if (!owned) return;
    clearTimeout(pendingClose.current);
    // Closed a tick later: StrictMode unmounts and remounts at once, and that must not reconnect.
    return () => {
      pendingClose.current = setTimeout(() => owned.disconnect(), 0);
    };
  }, [owned]);
  return <RealtimeContext.Provider value={value}>{children}</RealtimeContext.Provider>;
}

/** The client of the nearest RealtimeProvider (for whisper, withSocketId, reauthenticate...). */
export function useRealtimeClient(): RealtimeClient {
  const client = useContext(RealtimeContext);
  if (!client) throw new RealtimeError('invalid_config', 'next-realtime hooks must be used inside a <RealtimeProvider>');
  return client;
}
