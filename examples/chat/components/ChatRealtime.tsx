'use client';

import type { ReactNode } from 'react';
import { clientOptionsFromEnv } from 'next-realtime/client';
import { RealtimeProvider } from 'next-realtime/react';

/**
 * The page's realtime client: configured from NEXT_PUBLIC_REALTIME_* (inlined at build time),
 * signed in as the session user so that logout (terminateUser) can close its connections.
 */
export function ChatRealtime({ children }: { children: ReactNode }) {
  return <RealtimeProvider options={{ ...clientOptionsFromEnv(), signIn: true }}>{children}</RealtimeProvider>;
}
