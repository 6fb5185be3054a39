import type { Db } from 'mongodb';
import { AppError, newObjectIdHex } from '@userforge/platform';
import { startJob } from '../src';
import { openJobStore, type RecordingJobStore } from './job-store';

/** startJob, the one use case of POST /v1/jobs, the generate route and the operator, against the real database. */
describe('startJob (real database)', () => {
  let store: RecordingJobStore;
  let db: Db;
  let deps: RecordingJobStore['deps'];

  beforeAll(async () => {
    store = await openJobStore('start_job');
    ({ db, deps } = store);
  });

  afterAll(() => store.close());

  it('with an id, starting twice (even at once) makes one job: the others get it back with created false, and its publishing is resumed', async () => {
    const id = newObjectIdHex();
    const results = await Promise.all([1, 2, 3].map(() => startJob(deps, { count: 3_000, chunkSize: 1_000, seed: 4 }, { id })));
    expect(results.map((r) => r.created).sort()).toEqual([false, false, true]);
    expect(new Set(results.map((r) => r.job.id))).toEqual(new Set([id]));
    expect(results.every((r) => r.job.count === 3_000 && r.job.chunksTotal === 3)).toBe(true);
    expect(await db.collection('jobs').countDocuments({ _id: id as never })).toBe(1);
    expect(deps.scheduled.filter((s) => s === id)).toHaveLength(3);
  });

  it('without an id, every start is a new job', async () => {
    const [a, b] = await Promise.all([startJob(deps, { count: 100 }), startJob(deps, { count: 100 })]);
    expect(a.created && b.created).toBe(true);
    expect(a.job.id).not.toBe(b.job.id);
  });

  it('refuses a count above maxCount with a 400 naming the limit, and stores nothing', async () => {
    const before = await db.collection('jobs').countDocuments();
    const err = await startJob(deps, { count: 5_001 }, { maxCount: 5_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ status: 400, code: 'count_above_limit', message: 'count must be at most 5000' });
    expect(await db.collection('jobs').countDocuments()).toBe(before);
  });
});
