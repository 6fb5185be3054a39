import { createContext, useContext, useEffect, useRef, useState, useSyncExternalStore, type ReactNode } from 'react';
import { api } from '../api/client';
import { apiUrl } from '../api/config';
import { connectEvents, LiveJobs, type JobListener, type LiveSnapshot } from '../api/live-jobs';

const LiveContext = createContext<LiveJobs | null>(null);

/** Owns the app's single EventSource; pages read the live state through the hooks below. */
export function LiveProvider({ children, store: given, connect = true }: { children: ReactNode; store?: LiveJobs; connect?: boolean }) {
  const [store] = useState(() => given ?? new LiveJobs());
  useEffect(() => {
    if (!connect) return;
    return connectEvents(store, { eventsUrl: apiUrl('/v1/events'), isHealthy: api.isHealthy });
  }, [store, connect]);
  return <LiveContext.Provider value={store}>{children}</LiveContext.Provider>;
}

export function useLiveStore(): LiveJobs {
  const store = useContext(LiveContext);
  if (!store) throw new Error('useLiveStore needs a <LiveProvider>');
  return store;
}

export function useLive(): LiveSnapshot {
  const store = useLiveStore();
  return useSyncExternalStore(store.subscribe, store.getSnapshot);
}

/** Calls `listener` on every job change; the latest listener is used without resubscribing. */
export function useJobEvents(listener: JobListener): void {
  const store = useLiveStore();
  const latest = useRef(listener);
  latest.current = listener;
  useEffect(() => store.onJob((job, previous) => latest.current(job, previous)), [store]);
}

/** Calls `listener` each time the event stream (re)connects. */
export function useOnConnect(listener: () => void): void {
  const store = useLiveStore();
  const latest = useRef(listener);
  latest.current = listener;
  useEffect(() => store.onConnect(() => latest.current()), [store]);
}
