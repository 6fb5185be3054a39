import pino from 'pino';
import { ConfigError } from '../src/config';
import { StartAborted, StartupProgress, isConfigError, waitFor } from '../src/wait-for';

describe('waitFor', () => {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  const quick = { minMs: 1, maxMs: 4 };
  beforeEach(() => (lines.length = 0));

  /** A connect that fails `failures` times, then yields `value`. */
  const flaky = (failures: number, value = 'conn') => {
    let calls = 0;
    const connect = async () => {
      if (++calls <= failures) throw new Error(`refused #${calls}`);
      return value;
    };
    return { connect, calls: () => calls };
  };

  it('retries until the server answers, logging each wait and reporting progress', async () => {
    const progress = new StartupProgress(['mongo', 'kafka']);
    const { connect, calls } = flaky(3);
    const seen: unknown[] = [];
    const checking = async () => seen.push(await progress.check().catch((err: { checks: unknown }) => err.checks));
    await checking();
    expect(await waitFor('mongo', async () => (await checking(), connect()), { logger, progress, backoff: quick })).toBe('conn');
    expect(calls()).toBe(4);
    expect(seen[0]).toEqual({ mongo: 'down: waiting: not tried yet', kafka: 'down: waiting: not tried yet' });
    expect(seen[2]).toEqual({ mongo: 'down: waiting: attempt 1 failed: refused #1', kafka: 'down: waiting: not tried yet' });
    await checking();
    expect(seen.at(-1)).toEqual({ mongo: 'ok', kafka: 'down: waiting: not tried yet' });
    expect(lines.filter((l) => l.msg === 'waiting for mongo')).toEqual([1, 2, 3].map((attempt) =>
      expect.objectContaining({ level: 40, server: 'mongo', attempt, nextDelayMs: expect.any(Number), error: `refused #${attempt}` }),
    ));
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'reached mongo', attempts: 4 }));
  });

  it('stays not ready once every server is reached, until the process swaps in its own check', async () => {
    const progress = new StartupProgress(['kafka']);
    await waitFor('kafka', async () => 'ok', { logger, progress });
    await expect(progress.check()).rejects.toMatchObject({ checks: { kafka: 'ok', startup: 'down: servers reached, starting' } });
  });

  it('gives up at once on a config error', async () => {
    const connect = jest.fn(async () => {
      throw new ConfigError(['MONGO_URL: must be a mongodb:// or mongodb+srv:// URL']);
    });
    await expect(waitFor('mongo', connect, { logger, backoff: quick })).rejects.toBeInstanceOf(ConfigError);
    expect(connect).toHaveBeenCalledTimes(1);
  });

  it('recognises errors that mean the settings are wrong, and only those', () => {
    expect(isConfigError(Object.assign(new Error('bad'), { name: 'MongoParseError' }))).toBe(true);
    expect(isConfigError(Object.assign(new TypeError('Invalid URL'), { code: 'ERR_INVALID_URL' }))).toBe(true);
    expect(isConfigError(Object.assign(new Error('timed out'), { name: 'MongoServerSelectionError' }))).toBe(false);
    expect(isConfigError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe(false);
  });

  it('ends with StartAborted when its signal aborts, during an attempt or between attempts, and discards a late connection', async () => {
    const between = new AbortController();
    const waiting = waitFor('kafka', flaky(Infinity).connect, { logger, signal: between.signal, backoff: { minMs: 60_000, maxMs: 60_000 } });
    setImmediate(() => between.abort());
    await expect(waiting).rejects.toBeInstanceOf(StartAborted);

    const during = new AbortController();
    let arrive: (value: string) => void = () => undefined;
    const discarded: string[] = [];
    const stalled = waitFor('mongo', () => new Promise<string>((resolve) => (arrive = resolve)), { logger, signal: during.signal, discard: (c) => discarded.push(c) });
    during.abort();
    await expect(stalled).rejects.toThrow('stopped while waiting for mongo');
    arrive('late connection');
    await new Promise((r) => setImmediate(r));
    expect(discarded).toEqual(['late connection']);
  });
});
