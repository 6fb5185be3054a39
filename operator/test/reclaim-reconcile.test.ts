import type { JobState } from '@userforge/contracts';
import type { JobDocument, JobRepository } from '@userforge/jobs';
import { ServerUnavailable, createLogger } from '@userforge/platform';
import type { PurgeRecord } from '@userforge/users';
import { FINALIZER, jobIdFor, type UserGenerationJob } from '../src/api/v1alpha1/user-generation-job.types';
import { SETTLE_AFTER_CANCEL_MS } from '../src/controller/reclaim';
import { UserGenerationJobReconciler } from '../src/controller/user-generation-job.reconciler';
import { world } from '@userforge/testkit/purge-world';
import { aResource } from './fixtures';

/**
 * The reconciler's deletion of a `reclaimPolicy: Delete` resource, on in-memory stores: the purge is
 * the users package's use case on the purge tests' world (250 users of the job, 4 of others).
 */
const T = new Date('2026-11-21T10:00:00.000Z');
const KEY = 'default/demo';

function setup(opts: { state?: JobState; policy?: 'Retain' | 'Delete'; mongoDown?: boolean } = {}) {
  const state = opts.state ?? 'succeeded';
  const resource = aResource({
    spec: { count: 250, reclaimPolicy: opts.policy ?? 'Delete' },
    meta: { finalizers: [FINALIZER], deletionTimestamp: T.toISOString() },
    status: { state: state === 'succeeded' ? 'Succeeded' : 'Running' },
  });
  const jobId = jobIdFor(resource.metadata.uid);
  const w = world({ seqBase: 100, count: 250 });
  let clock = new Date(T.getTime() + 60_000);
  let purge: PurgeRecord | undefined;
  const doc: JobDocument = {
    _id: jobId, state, count: 250, seed: 1, chunkSize: 100, chunksTotal: 3, chunksPublished: 3, chunksDone: 3, usersStored: 250, locale: 'en',
    seqBase: 100, createdAt: T, startedAt: T, finishedAt: state === 'succeeded' ? T : null, updatedAt: T, error: null, lease: null,
  };
  const found = () => {
    if (opts.mongoDown) throw new ServerUnavailable('MongoDB and Kafka have not been reached yet');
    return { ...doc, ...(purge ? { purge } : {}) };
  };
  const jobs = {
    findById: async (id: string) => (id === jobId ? found() : null),
    recordPurge: async (_id: string, p: PurgeRecord) => void (purge = p),
    // Cancelled at the reconciler's clock (the use case takes the wall clock's).
    cancel: async () => Object.assign(doc, { state: 'cancelled', finishedAt: clock }) && found(),
  };
  const cache = new Map<string, UserGenerationJob>([[KEY, resource]]);
  const said: string[] = [];
  const statuses: UserGenerationJob['status'][] = [];
  const kube = {
    patchStatus: async (ugj: UserGenerationJob, status: UserGenerationJob['status']) => void (statuses.push(status), cache.set(KEY, { ...ugj, status })),
    // The API server deletes a resource being deleted once its last finalizer goes.
    setFinalizers: async (ugj: UserGenerationJob, finalizers: string[]) => void (finalizers.length ? cache.set(KEY, { ...ugj, metadata: { ...ugj.metadata, finalizers } }) : cache.delete(KEY)),
    deleteJob: async () => undefined,
    recordEvent: async (_target: unknown, type: string, reason: string, message: string) => void said.push(`${type} ${reason}: ${message}`),
  };
  const store = { jobs: jobs as unknown as JobRepository, publisher: { schedule: () => undefined }, purge: { ...w.deps, jobs } };
  const reconciler = new UserGenerationJobReconciler({
    cache, kube, store: () => store, announce: () => undefined, logger: createLogger('reclaim-test', 'silent'), identity: 'test', maxCount: 1_000_000, scope: 'all', now: () => clock,
  });
  return { w, jobId, cache, said, statuses, reconciler, later: (ms: number) => (clock = new Date(clock.getTime() + ms)) };
}

describe('reconciling the deletion of a reclaimPolicy: Delete resource (in-memory stores)', () => {
  it("purges exactly the job's users, shows it in status and Events, then lets the resource go", async () => {
    const { w, jobId, cache, said, statuses, reconciler } = setup();
    expect(await reconciler.reconcile(KEY)).toBe(0); // a slice, then at once again
    expect(statuses.at(-1)?.purge).toEqual({ state: 'purged', deleted: 250, remaining: 0 });
    expect(cache.get(KEY)?.metadata.finalizers).toEqual([FINALIZER]);
    expect(await reconciler.reconcile(KEY)).toBeNull();
    expect(cache.has(KEY)).toBe(false);
    expect([...w.users.keys()].sort((a, b) => a - b)).toEqual([10, 11, 400, 401]);
    expect(w.counted()).toBe(250);
    expect([...w.outbox.values()].filter((e) => e.state === 'ready')).toHaveLength(250);
    expect(said).toEqual([
      `Normal Purging: purging 250 users of platform job ${jobId} (reclaimPolicy: Delete); status.purge shows the progress`,
      `Normal Purged: 250 users of platform job ${jobId} purged, none left: the resource goes`,
    ]);
  });

  it('cancels a job still at work, waits for it to settle, then purges', async () => {
    const { w, cache, said, reconciler, later } = setup({ state: 'running' });
    expect(await reconciler.reconcile(KEY)).toBe(SETTLE_AFTER_CANCEL_MS);
    expect(said).toContain('Normal JobCancelled: deleted while running: the job was cancelled');
    expect(w.users.size).toBe(254);
    expect(await reconciler.reconcile(KEY)).toBe(SETTLE_AFTER_CANCEL_MS); // the clock stood still: still settling
    later(SETTLE_AFTER_CANCEL_MS);
    expect(await reconciler.reconcile(KEY)).toBe(0);
    expect(await reconciler.reconcile(KEY)).toBeNull();
    expect(cache.has(KEY)).toBe(false);
    expect(w.users.size).toBe(4);
  });

  it('waits for MongoDB, the resource kept, with a Warning Event; Retain lets the resource go without it', async () => {
    const del = setup({ mongoDown: true });
    await expect(del.reconciler.reconcile(KEY)).rejects.toThrow(ServerUnavailable);
    expect(del.cache.get(KEY)?.metadata.finalizers).toEqual([FINALIZER]);
    expect(del.said).toEqual([expect.stringMatching(/^Warning PurgeWaiting: MongoDB unreachable \(ServerUnavailable\)/)]);
    const keep = setup({ mongoDown: true, policy: 'Retain' });
    expect(await keep.reconciler.reconcile(KEY)).toBeNull();
    expect(keep.cache.has(KEY)).toBe(false);
    expect(keep.said).toEqual([expect.stringMatching(/^Warning CancelDeferred:/)]);
  });

  it('Retain purges nothing', async () => {
    const { w, cache, reconciler } = setup({ policy: 'Retain' });
    expect(await reconciler.reconcile(KEY)).toBeNull();
    expect(cache.has(KEY)).toBe(false);
    expect(w.users.size).toBe(254);
  });
});
