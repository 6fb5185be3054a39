import { useCallback, useEffect, useRef, useState } from 'react';
import type { SeriesView, StatsView } from '@userforge/contracts/browser';
import { api, errorMessage, isAbort } from '../api/client';
import { throttle } from './throttle';
import { useJobEvents, useOnConnect } from './use-live';

const STATS_EVERY_MS = 15_000;
const STATS_AFTER_EVENT_MS = 2_000;
const SERIES_EVERY_MS = 5_000;

/** Reloads with `load` now and every `everyMs`; answers that arrive out of order are dropped. */
function usePolled<T>(load: (signal: AbortSignal) => Promise<T>, everyMs: number) {
  const [value, setValue] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const latestRequest = useRef(0);
  const controllers = useRef(new Set<AbortController>());

  const refresh = useCallback(() => {
    const request = ++latestRequest.current;
    const controller = new AbortController();
    controllers.current.add(controller);
    load(controller.signal)
      .then((v) => {
        if (request !== latestRequest.current) return;
        setValue(v);
        setError(null);
      })
      .catch((e: unknown) => {
        if (!isAbort(e) && request === latestRequest.current) setError(errorMessage(e));
      })
      .finally(() => controllers.current.delete(controller));
  }, [load]);

  useEffect(() => {
    refresh();
    const timer = setInterval(refresh, everyMs);
    const pending = controllers.current;
    return () => {
      clearInterval(timer);
      for (const c of pending) c.abort();
    };
  }, [refresh, everyMs]);

  return { value, error, refresh };
}

/** `/v1/stats`, refreshed every 15 s and, at most every 2 s, when jobs change. */
export function useStats(): { stats: StatsView | undefined; error: string | null } {
  const { value, error, refresh } = usePolled(api.getStats, STATS_EVERY_MS);
  const throttled = useRef<ReturnType<typeof throttle> | null>(null);
  useEffect(() => {
    const t = throttle(refresh, STATS_AFTER_EVENT_MS);
    throttled.current = t;
    return () => t.cancel();
  }, [refresh]);
  useJobEvents(() => throttled.current?.());
  useOnConnect(() => throttled.current?.());
  return { stats: value, error };
}

/** `/v1/metrics/series` every 5 s; null while the API does not serve it. */
export function useMetricsSeries(): { series: SeriesView | null | undefined; error: string | null } {
  const { value, error } = usePolled(api.getMetricsSeries, SERIES_EVERY_MS);
  return { series: value, error };
}
