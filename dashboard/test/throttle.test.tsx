/** @jest-environment jsdom */
import { throttle } from '../src/hooks/throttle';

describe('throttle (stats refresh on job events)', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('runs at once, then at most once per period, keeping the last call', () => {
    const fn = jest.fn();
    const t = throttle(fn, 2000);
    t();
    expect(fn).toHaveBeenCalledTimes(1);
    t();
    t();
    t();
    expect(fn).toHaveBeenCalledTimes(1);
    jest.advanceTimersByTime(1999);
    expect(fn).toHaveBeenCalledTimes(1);
    jest.advanceTimersByTime(1);
    expect(fn).toHaveBeenCalledTimes(2);
    jest.advanceTimersByTime(10_000);
    expect(fn).toHaveBeenCalledTimes(2);
    t();
    expect(fn).toHaveBeenCalledTimes(3);
    t();
    t.cancel();
    jest.advanceTimersByTime(10_000);
    expect(fn).toHaveBeenCalledTimes(3);
  });
});
