import { Topics, type PurgeView } from '@userforge/contracts';
import { beginPurge, purgeDelta, purgeJobUsers, purgeRefusal, windowAt } from '../src';
import { JOB, OTHER, T0, userAt, world } from '@userforge/testkit/purge-world';

describe('purge decisions', () => {
  it.each(['publishing', 'paused', 'running'] as const)('refuses a %s job with a 409 that says to cancel first', (state) => {
    const refusal = purgeRefusal(JOB, state);
    expect(refusal).toMatchObject({ status: 409, code: 'job_active' });
    expect(refusal?.message).toMatch(/cancel it first/);
  });

  it.each(['succeeded', 'cancelled', 'failed'] as const)('lets a %s job be purged', (state) => {
    expect(purgeRefusal(JOB, state)).toBeNull();
  });

  it('cuts the range into fixed windows from its start, the last one short', () => {
    const range = { from: 100, to: 350 };
    expect(windowAt(range, 100, 100)).toEqual({ index: 0, from: 100, to: 200 });
    expect(windowAt(range, 199, 100)).toEqual({ index: 0, from: 100, to: 200 });
    expect(windowAt(range, 230, 100)).toEqual({ index: 1, from: 200, to: 300 });
    expect(windowAt(range, 349, 100)).toEqual({ index: 2, from: 300, to: 350 });
  });

  it("names a window's delta after the job and the window, and counts its users out", () => {
    const delta = purgeDelta(JOB, 3, [userAt(300), userAt(301), userAt(303)], T0);
    expect(delta._id).toBe(`purge:${JOB}:3`);
    expect(delta.total).toBe(-3);
    expect(delta.seqs).toEqual([
      { first: 300, count: 2, sign: -1 },
      { first: 303, count: 1, sign: -1 },
    ]);
    expect(delta.genders.reduce((n, g) => n + g.n, 0)).toBe(-3);
  });
});

describe('purgeJobUsers (in-memory repositories)', () => {
  it("removes exactly the job's users, counts each out once, and announces each deletion", async () => {
    const w = world();
    const progress: PurgeView[] = [];
    const plan = await beginPurge(w.deps, JOB);
    expect(plan).toMatchObject({ from: 100, to: 350, window: 100, progress: { state: 'purging', deleted: 0, remaining: 250 } });
    const done = await purgeJobUsers(w.deps, plan, { onProgress: (p) => void progress.push(p) });

    expect(done).toEqual({ state: 'purged', deleted: 250, remaining: 0 });
    expect([...w.users.keys()].sort((a, b) => a - b)).toEqual([10, 11, 400, 401]);
    expect(w.counted()).toBe(250);
    expect([...w.tally.keys()]).toEqual([0, 1, 2].map((i) => `purge:${JOB}:${i}`));
    const events = [...w.outbox.values()];
    expect(events).toHaveLength(250);
    expect(events.every((e) => e.state === 'ready' && e.topic === Topics.userDeletedSingle)).toBe(true);
    expect(new Set(events.map((e) => e.userId)).size).toBe(250);
    expect(progress.map((p) => [p.state, p.remaining])).toEqual([['purging', 150], ['purging', 50], ['purging', 0], ['purged', 0]]);
    expect(w.invalidations()).toBe(3);
  });

  it('skips what is already gone: gaps in the range cost no window', async () => {
    const w = world({ count: 1000, others: [10, 2000], present: (seq) => seq < 120 || seq >= 1050 });
    const done = await purgeJobUsers(w.deps, await beginPurge(w.deps, JOB));
    expect(done).toEqual({ state: 'purged', deleted: 70, remaining: 0 });
    expect(w.tally.size).toBe(2);
  });

  it('finishes a purge that died between counting a window out and deleting it, counting nothing twice', async () => {
    const w = world();
    w.failDeletesFrom(200);
    await expect(purgeJobUsers(w.deps, await beginPurge(w.deps, JOB))).rejects.toThrow('connection lost');
    expect(w.purges.at(-1)).toEqual({ state: 'purging', deleted: 100, remaining: 150, window: 100 });
    expect(w.users.size).toBe(150 + 4);
    expect(w.counted()).toBe(200); // the window that failed was counted out ahead of its delete

    w.failDeletesFrom(undefined);
    w.deps.windowSize = 1000; // set otherwise since: the purge keeps the windows it began with
    const plan = await beginPurge(w.deps, JOB);
    expect(plan.window).toBe(100);
    expect(plan.progress).toEqual({ state: 'purging', deleted: 100, remaining: 150 });
    expect(await purgeJobUsers(w.deps, plan)).toEqual({ state: 'purged', deleted: 250, remaining: 0 });
    expect(w.counted()).toBe(250);
    expect(w.users.size).toBe(4);
    // The dead attempt's events stay pending for the relay to resolve from the users (all gone: published).
    expect([...w.outbox.values()].filter((e) => e.state === 'pending')).toHaveLength(100);
  });

  it('answers a purge of a purged job as done, with nothing left', async () => {
    const w = world();
    await purgeJobUsers(w.deps, await beginPurge(w.deps, JOB));
    const again = await beginPurge(w.deps, JOB);
    expect(again.progress).toEqual({ state: 'purged', deleted: 250, remaining: 0 });
    expect(await purgeJobUsers(w.deps, again)).toEqual({ state: 'purged', deleted: 250, remaining: 0 });
    expect(w.counted()).toBe(250);
  });

  it('stops between windows when aborted, still purging', async () => {
    const w = world();
    const abort = new AbortController();
    const plan = await beginPurge(w.deps, JOB);
    const stopped = await purgeJobUsers(w.deps, plan, { signal: abort.signal, onProgress: () => abort.abort() });
    expect(stopped).toEqual({ state: 'purging', deleted: 100, remaining: 150 });
    expect(w.users.size).toBe(150 + 4);
  });

  it('re-adds as ready the events the relay resolved while the window was being deleted', async () => {
    const w = world({ count: 50 });
    const markReadyMany = w.deps.outbox.markReadyMany;
    w.deps.outbox.markReadyMany = async (ids) => {
      w.outbox.delete(ids[0]!); // resolved as stale and dropped while its user was still there
      return markReadyMany(ids);
    };
    await purgeJobUsers(w.deps, await beginPurge(w.deps, JOB));
    const events = [...w.outbox.values()];
    expect(events.filter((e) => e.state === 'ready')).toHaveLength(50);
    expect(new Set(events.map((e) => e.userId)).size).toBe(50);
  });

  it('refuses an unknown job (404) and one still at work (409), changing nothing', async () => {
    await expect(beginPurge(world().deps, OTHER)).rejects.toMatchObject({ status: 404 });
    const running = world({ state: 'running' });
    await expect(beginPurge(running.deps, JOB)).rejects.toMatchObject({ status: 409 });
    expect(running.purges).toEqual([]);
    expect(running.users.size).toBe(254);
  });
});
