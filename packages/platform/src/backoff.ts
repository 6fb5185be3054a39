export interface BackoffBounds {
  minMs: number;
  maxMs: number;
}

/** The wait after `failures` failed attempts in a row (1, 2, …): doubling from `minMs`, at most `maxMs`. */
export function backoffMs(failures: number, { minMs, maxMs }: BackoffBounds): number {
  return Math.min(maxMs, minMs * 2 ** Math.max(0, failures - 1));
}

/**
 * `backoffMs` with jitter: between half of it and all of it, so processes started together (a
 * rollout, a whole release) do not retry in step against a server that is just coming up.
 */
export function jitteredBackoffMs(failures: number, bounds: BackoffBounds, random: () => number = Math.random): number {
  const ceiling = backoffMs(failures, bounds);
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
