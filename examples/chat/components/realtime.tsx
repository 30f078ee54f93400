'use client';

// Interim: a few hooks over createRealtimeClient until next-realtime/react lands.
import { createContext, useContext, useEffect, useRef, useState, type ReactNode } from 'react';
import { createRealtimeClient, clientOptionsFromEnv, type ConnectionState, type PresenceMember, type RealtimeClient } from 'next-realtime/client';

const RealtimeContext = createContext<RealtimeClient | undefined>(undefined);

export function RealtimeProvider({ children }: { children: ReactNode }) {
  const [client] = useState(() => createRealtimeClient({ ...clientOptionsFromEnv(), signIn: true }));
  useEffect(() => {
    void client.connect().catch(() => undefined);
    return () => client.disconnect();
  }, [client]);
  return <RealtimeContext.Provider value={client}>{children}</RealtimeContext.Provider>;
}

export function useRealtimeClient(): RealtimeClient {
  const client = useContext(RealtimeContext);
  if (!client) throw new Error('wrap the page in <RealtimeProvider>');
  return client;
}

export function useConnectionState(): ConnectionState {
  const client = useRealtimeClient();
  const [state, setState] = useState<ConnectionState>(client.state);
  useEffect(() => {
    setState(client.state);
    return client.onStateChange((next) => setState(next));
  }, [client]);
  return state;
}

export function useEvent<T>(channel: string | undefined, event: string, handler: (data: T, meta: { userId?: string | undefined }) => void): void {
  const client = useRealtimeClient();
  const latest = useRef(handler);
  latest.current = handler;
  useEffect(() => {
    if (!channel) return;
    return client.subscribe<T>(channel, event, (data, meta) => latest.current(data, meta));
  }, [client, channel, event]);
}

export function usePresence(channel: string): PresenceMember[] {
  const client = useRealtimeClient();
  const [members, setMembers] = useState<PresenceMember[]>([]);
  useEffect(() => client.onPresence(channel, (change) => setMembers(change.members)), [client, channel]);
  return members;
}

export function useSocketId(): string | undefined {
  const client = useRealtimeClient();
  const state = useConnectionState();
  return state === 'connected' ? client.socketId : undefined;
}
