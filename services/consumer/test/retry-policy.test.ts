import { backoffMs, decideOnFailure, isTransient } from '../src/domain/retry-policy';

const named = (name: string, message = name) => Object.assign(new Error(message), { name });
const withCode = (code: string) => Object.assign(new Error(`connect ${code}`), { code });

describe('isTransient', () => {
  it.each(['MongoNetworkError', 'MongoServerSelectionError', 'KafkaJSConnectionError'])('is true for a %s', (name) => {
    expect(isTransient(named(name))).toBe(true);
  });

  it('is true for a network error code', () => {
    expect(isTransient(withCode('ECONNREFUSED'))).toBe(true);
    expect(isTransient(withCode('ENOENT'))).toBe(false);
  });

  it('is true for a retryable write error label', () => {
    expect(isTransient(Object.assign(new Error('x'), { errorLabels: ['RetryableWriteError'] }))).toBe(true);
  });

  it('follows nested causes', () => {
    const deep = new Error('outer', { cause: new Error('middle', { cause: withCode('ECONNREFUSED') }) });
    expect(isTransient(deep)).toBe(true);
    expect(isTransient(new Error('outer', { cause: named('MongoNetworkError') }))).toBe(true);
    expect(isTransient(new Error('outer', { cause: new Error('inner') }))).toBe(false);
  });

  it('is false for ordinary errors and non-errors', () => {
    expect(isTransient(new Error('boom'))).toBe(false);
    expect(isTransient(new TypeError('x is undefined'))).toBe(false);
    expect(isTransient(named('MongoServerError'))).toBe(false);
    expect(isTransient(null)).toBe(false);
    expect(isTransient(undefined)).toBe(false);
  });

  it('does not loop on an error that is its own cause', () => {
    const selfCaused: Error = new Error('self');
    selfCaused.cause = selfCaused;
    expect(isTransient(selfCaused)).toBe(false);
  });
});

describe('backoffMs', () => {
  it('doubles from the base up to the cap, at full jitter', () => {
    const highest = [1, 2, 3, 4, 5, 6, 7, 8].map((attempt) => backoffMs(attempt, () => 1));
    expect(highest).toEqual([250, 500, 1_000, 2_000, 4_000, 8_000, 10_000, 10_000]);
    const lowest = [1, 2, 3, 6, 7].map((attempt) => backoffMs(attempt, () => 0));
    expect(lowest).toEqual([125, 250, 500, 4_000, 5_000]);
  });

  it('stays capped for very large attempts', () => {
    expect(backoffMs(1_000, () => 1)).toBe(10_000);
    expect(backoffMs(1_000, () => 0)).toBe(5_000);
    expect(backoffMs(3, () => 1, 100, 300)).toBe(300);
  });
});

describe('decideOnFailure', () => {
  it('retries transient errors forever', () => {
    const decision = decideOnFailure(named('MongoNetworkError'), 1_000, 5);
    expect(decision.action).toBe('retry');
    expect(decision.action === 'retry' && decision.delayMs).toBeGreaterThanOrEqual(5_000);
    expect(decision.action === 'retry' && decision.delayMs).toBeLessThanOrEqual(10_000);
  });

  it('retries other errors until maxAttempts, then dead-letters them', () => {
    const err = new Error('chunk is poisoned');
    for (let attempt = 1; attempt < 5; attempt++) expect(decideOnFailure(err, attempt, 5).action).toBe('retry');
    expect(decideOnFailure(err, 5, 5)).toEqual({ action: 'dead-letter', reason: 'failed 5 times: chunk is poisoned' });
    expect(decideOnFailure('a string', 6, 5)).toEqual({ action: 'dead-letter', reason: 'failed 6 times: a string' });
  });
});
