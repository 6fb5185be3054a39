import { backoffMs, jitteredBackoffMs } from '../src/backoff';

const bounds = { minMs: 500, maxMs: 15_000 };

describe('jitteredBackoffMs', () => {
  it('lies between half of the doubling delay and all of it, capped', () => {
    expect([1, 2, 3, 5, 6, 40].map((n) => jitteredBackoffMs(n, bounds, () => 0))).toEqual([250, 500, 1_000, 4_000, 7_500, 7_500]);
    expect([1, 2, 3, 5, 6, 40].map((n) => jitteredBackoffMs(n, bounds, () => 1))).toEqual([500, 1_000, 2_000, 8_000, 15_000, 15_000]);
    for (let n = 1; n < 30; n++) {
      const d = jitteredBackoffMs(n, bounds);
      expect(d).toBeGreaterThanOrEqual(backoffMs(n, bounds) / 2);
      expect(d).toBeLessThanOrEqual(backoffMs(n, bounds));
    }
  });
});
