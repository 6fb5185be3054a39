/** The wait after `failures` failed attempts in a row (1, 2, …): doubling from `minMs`, at most `maxMs`. */
export function backoffMs(failures: number, { minMs, maxMs }: { minMs: number; maxMs: number }): number {
  return Math.min(maxMs, minMs * 2 ** Math.max(0, failures - 1));
}
