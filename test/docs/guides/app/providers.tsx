// app/providers.tsx
'use client';
import type { ReactNode } from 'react';
import { RealtimeProvider } from 'next-realtime/react';

export function Providers({ children }: { children: ReactNode }) {
  return <RealtimeProvider options={{ provider: 'soketi', key: 'app-key', host: 'localhost', port: 6001, signIn: true }}>{children}</RealtimeProvider>;
  // or <RealtimeProvider> (options from NEXT_PUBLIC_REALTIME_*), or <RealtimeProvider client={myClient}>
}
