import { useLive } from '../hooks/use-live';

/** Shown while the event stream is down and /healthz does not answer. */
export function ConnectionBanner() {
  const { unreachable } = useLive();
  if (!unreachable) return null;
  return (
    <div className="banner" role="alert">
      API unreachable — reconnecting…
    </div>
  );
}
