import { useEffect, useRef, type RefObject } from 'react';

/** False once the component has unmounted: an answer that arrives later must not set its state. */
export function useAlive(): RefObject<boolean> {
  const alive = useRef(true);
  useEffect(() => {
    alive.current = true;
    return () => {
      alive.current = false;
    };
  }, []);
  return alive;
}
