/** Runs app callbacks; one that throws must not stop delivery to the others. */
export function safely(run: () => void): void {
  try {
    run();
  } catch (error) {
    queueMicrotask(() => {
      throw error;
    });
  }
}

/** Named events to app listeners; each `on()` is its own registration, removed at most once. */
export function createEmitter<Events extends object>() {
  const listeners = new Map<keyof Events, Set<(payload: any) => void>>();
  return {
    emit<K extends keyof Events>(event: K, payload: Events[K]): void {
      for (const listener of [...(listeners.get(event) ?? [])]) safely(() => listener(payload));
    },
    on<K extends keyof Events>(event: K, listener: (payload: Events[K]) => void): () => void {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      const own = (payload: any) => listener(payload);
      set.add(own);
      return () => set!.delete(own);
    },
  };
}
