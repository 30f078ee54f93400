// app/orders/layout.tsx: one realtime client for every page under /orders
import type { ReactNode } from 'react';
import { RealtimeProvider } from 'next-realtime/react';

export default function OrdersLayout({ children }: { children: ReactNode }) {
  return <RealtimeProvider>{children}</RealtimeProvider>; // options from NEXT_PUBLIC_REALTIME_*
}
