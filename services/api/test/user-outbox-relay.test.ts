import { backoffMs } from '@userforge/platform';

describe('user-outbox-relay backoff (pure)', () => {
  it('doubles from 0.5 s after each failure in a row and stays at 10 s', () => {
    const limits = { minMs: 500, maxMs: 10_000 };
    expect([1, 2, 3, 4, 5, 6, 7, 50].map((failures) => backoffMs(failures, limits))).toEqual([500, 1_000, 2_000, 4_000, 8_000, 10_000, 10_000, 10_000]);
  });
});
