import { useEffect, useRef, useState, type DependencyList } from 'react';
import { errorMessage, isAbort } from '../api/client';

/**
 * Runs `load` whenever `deps` change, aborting the previous request, and hands the result to
 * `onLoaded`. Tracks loading and the last error; the previous result stays wherever the caller keeps it.
 */
export function useAbortableLoad<T>(
  load: (signal: AbortSignal) => Promise<T>,
  onLoaded: (value: T) => void,
  deps: DependencyList,
): { loading: boolean; error: string | null } {
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const latest = useRef({ load, onLoaded });
  latest.current = { load, onLoaded };

  useEffect(() => {
    const controller = new AbortController();
    setLoading(true);
    latest.current
      .load(controller.signal)
      .then((value) => {
        latest.current.onLoaded(value);
        setError(null);
        setLoading(false);
      })
      .catch((e: unknown) => {
        if (isAbort(e)) return;
        setError(errorMessage(e));
        setLoading(false);
      });
    return () => controller.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps -- the caller names what triggers a load
  }, deps);

  return { loading, error };
}
