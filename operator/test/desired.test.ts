import { FINALIZER, jobIdFor } from '../src/api/v1alpha1/user-generation-job.types';
import { setConditions } from '../src/controller/conditions';
import { RUNNING_RESYNC_MS, decide, desiredReplicas, desiredStatus, sameStatus } from '../src/controller/desired';
import { aJob, aResource } from './fixtures';

const now = new Date('2026-11-21T10:00:05.000Z');
const kinds = (d: ReturnType<typeof decide>) => d.actions.map((a) => a.kind);

describe('decide and desiredStatus (pure)', () => {
  it('a new resource: finalizer, then the job, status Pending with Accepted unknown, and a quick look again', () => {
    const d = decide(aResource(), null, now);
    expect(kinds(d)).toEqual(['addFinalizer', 'createJob']);
    const status = desiredStatus(aResource(), null, now);
    expect(status.state).toBe('Pending');
    expect(status.conditions?.map((c) => [c.type, c.status])).toEqual([['Accepted', 'Unknown']]);
    expect(d.requeueAfterMs).toBe(RUNNING_RESYNC_MS);
  });

  it('a running job: status follows it; nothing to do but look again', () => {
    const resource = aResource({ meta: { finalizers: [FINALIZER] } });
    const d = decide(resource, aJob(), now);
    expect(kinds(d)).toEqual([]);
    const status = desiredStatus(resource, aJob(), now);
    expect(status).toMatchObject({ state: 'Running', usersStored: 20_000, chunksDone: 2, chunksTotal: 5, progress: '40%', usersPerSec: 10_000, etaSeconds: 3 });
    expect(status.conditions?.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['Accepted', 'True', 'JobCreated'],
      ['Running', 'True', 'Generating'],
    ]);
    expect(d.requeueAfterMs).toBe(RUNNING_RESYNC_MS);
  });

  it('suspend pauses a publishing job and unsuspend resumes it; a running job (every chunk published) runs on; nothing is made while suspended', () => {
    const held = { finalizers: [FINALIZER] };
    const publishing = aJob({ state: 'publishing', chunksPublished: 2 });
    const paused = aJob({ state: 'paused', chunksPublished: 2 });
    expect(kinds(decide(aResource({ spec: { suspend: true }, meta: held }), publishing, now))).toEqual(['pauseJob']);
    expect(kinds(decide(aResource({ spec: { suspend: true }, meta: held }), paused, now))).toEqual([]);
    expect(kinds(decide(aResource({ spec: { suspend: false }, meta: held }), paused, now))).toEqual(['resumeJob']);
    expect(kinds(decide(aResource({ meta: held }), paused, now))).toEqual(['resumeJob']);
    expect(kinds(decide(aResource({ meta: held }), publishing, now))).toEqual([]);
    expect(kinds(decide(aResource({ spec: { suspend: true }, meta: held }), aJob(), now))).toEqual([]);
    // Never cancelled by a suspend, and looked at again while paused (it is still at work).
    expect(decide(aResource({ spec: { suspend: true }, meta: held }), paused, now).requeueAfterMs).toBe(RUNNING_RESYNC_MS);
    const suspended = aResource({ spec: { suspend: true } });
    expect(kinds(decide(suspended, null, now))).toEqual([]);
    const status = desiredStatus(suspended, null, now);
    expect(status.state).toBe('Suspended');
    expect(status.conditions?.map((c) => [c.type, c.status, c.reason])).toEqual([['Suspended', 'True', 'Suspended']]);
  });

  it('paused: state Suspended, Suspended=True and Running=False; resumed: Suspended=False (Resumed) and Running=True; succeeded: nothing stale', () => {
    const held = { finalizers: [FINALIZER] };
    const whilePaused = desiredStatus(aResource({ spec: { suspend: true }, meta: held }), aJob({ state: 'paused', chunksPublished: 2 }), now);
    expect(whilePaused.state).toBe('Suspended');
    expect(whilePaused.conditions?.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['Accepted', 'True', 'JobCreated'],
      ['Running', 'False', 'Suspended'],
      ['Suspended', 'True', 'Suspended'],
    ]);
    const later = new Date(now.getTime() + 1_000);
    const resumed = desiredStatus(aResource({ meta: held, status: whilePaused }), aJob({ state: 'publishing', chunksPublished: 3 }), later);
    expect(resumed.state).toBe('Publishing');
    expect(resumed.conditions?.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['Accepted', 'True', 'JobCreated'],
      ['Running', 'True', 'Publishing'],
      ['Suspended', 'False', 'Resumed'],
    ]);
    expect(resumed.conditions?.find((c) => c.type === 'Suspended')?.lastTransitionTime).toBe(later.toISOString());
    const done = desiredStatus(aResource({ meta: held, status: resumed }), aJob({ state: 'succeeded', chunksDone: 5, usersStored: 50_000, progress: 1, finishedAt: later.toISOString() }), later);
    expect(done.conditions?.filter((c) => c.status === 'True').map((c) => c.type)).toEqual(['Accepted', 'Succeeded']);
    expect(done.conditions?.find((c) => c.type === 'Suspended')).toMatchObject({ status: 'False', reason: 'Resumed' });
    // Suspended once every chunk was published: nothing to pause, and the status says so.
    const allPublished = desiredStatus(aResource({ spec: { suspend: true }, meta: held }), aJob(), now);
    expect(allPublished.state).toBe('Running');
    expect(allPublished.conditions?.find((c) => c.type === 'Suspended')).toMatchObject({ status: 'False', reason: 'AllPublished' });
    // Never suspended: no Suspended condition at all.
    expect(desiredStatus(aResource({ meta: held }), aJob(), now).conditions?.map((c) => c.type)).toEqual(['Accepted', 'Running']);
  });

  it("a count above the operator's MAX_JOB_COUNT: no finalizer, no job, status Failed with Accepted=False saying why; at the limit it is accepted", () => {
    const big = aResource({ spec: { count: 5_001 } });
    expect(kinds(decide(big, null, now, 5_000))).toEqual([]);
    const status = desiredStatus(big, null, now, 5_000);
    expect(status.state).toBe('Failed');
    expect(status.conditions?.map((c) => [c.type, c.status, c.reason, c.message])).toEqual([['Accepted', 'False', 'CountAboveLimit', "count 5001 is above this operator's MAX_JOB_COUNT (5000)"]]);
    expect(kinds(decide(aResource({ spec: { count: 5_000 } }), null, now, 5_000))).toEqual(['addFinalizer', 'createJob']);
  });

  it('a job gone from the database (status names it, MongoDB does not): JobLost, Failed, never run again', () => {
    const lostOne = aResource({ meta: { finalizers: [FINALIZER] }, status: desiredStatus(aResource(), aJob({ state: 'succeeded', usersStored: 50_000, progress: 1 }), now) });
    expect(lostOne.status?.jobId).toBe('aaaaaaaaaaaaaaaaaaaaaaaa');
    expect(kinds(decide(lostOne, null, now))).not.toContain('createJob');
    const status = desiredStatus(lostOne, null, now);
    expect(status).toMatchObject({ state: 'Failed', jobId: 'aaaaaaaaaaaaaaaaaaaaaaaa' });
    expect(status.conditions?.find((c) => c.type === 'Accepted')).toMatchObject({ status: 'False', reason: 'JobLost' });
    expect(status.conditions?.filter((c) => c.status === 'True').map((c) => [c.type, c.reason])).toEqual([['Failed', 'JobLost']]);
  });

  it('suspended before its job existed, then resumed: Suspended turns False, never beside Running=True, and Cancelled never shows', () => {
    const suspended = aResource({ spec: { suspend: true } });
    const whileSuspended = desiredStatus(suspended, null, now);
    expect(whileSuspended.conditions?.find((c) => c.type === 'Suspended')?.status).toBe('True');
    const unsuspended = aResource({ status: whileSuspended });
    expect(kinds(decide(unsuspended, null, now))).toEqual(['addFinalizer', 'createJob']);
    const creating = desiredStatus(unsuspended, null, now);
    expect(creating.state).toBe('Pending');
    expect(creating.conditions?.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['Suspended', 'False', 'Resumed'],
      ['Accepted', 'Unknown', 'Creating'],
    ]);
    const conditions = desiredStatus(aResource({ meta: { finalizers: [FINALIZER] }, status: creating }), aJob(), now).conditions!;
    expect(conditions.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['Suspended', 'False', 'Resumed'],
      ['Accepted', 'True', 'JobCreated'],
      ['Running', 'True', 'Generating'],
    ]);
  });

  it('a Cancelled=True written by an earlier operator for a suspend turns False (suspended is not cancelled)', () => {
    const legacy = setConditions(undefined, [{ type: 'Cancelled', status: 'True', reason: 'Suspended', message: 'suspended before a job was created' }], 1, now);
    const stillSuspended = desiredStatus(aResource({ spec: { suspend: true }, status: { state: 'Cancelled', conditions: legacy } }), null, now);
    expect(stillSuspended.state).toBe('Suspended');
    expect(stillSuspended.conditions?.filter((c) => c.status === 'True').map((c) => c.type)).toEqual(['Suspended']);
    const running = desiredStatus(aResource({ meta: { finalizers: [FINALIZER] }, status: { state: 'Cancelled', conditions: legacy } }), aJob(), now);
    expect(running.conditions?.find((c) => c.type === 'Cancelled')).toMatchObject({ status: 'False', reason: 'Resumed' });
  });

  it('deleting a resource whose job runs (or is paused) cancels the job, then lets the resource go; a finished job is left alone', () => {
    const deleting = { meta: { finalizers: [FINALIZER], deletionTimestamp: now.toISOString() } };
    expect(kinds(decide(aResource(deleting), aJob(), now))).toEqual(['cancelJob', 'removeFinalizer']);
    expect(kinds(decide(aResource({ ...deleting, spec: { suspend: true } }), aJob({ state: 'paused' }), now))).toEqual(['cancelJob', 'removeFinalizer']);
    expect(kinds(decide(aResource(deleting), aJob({ state: 'succeeded', finishedAt: now.toISOString() }), now))).toEqual(['removeFinalizer']);
    expect(kinds(decide(aResource({ meta: { deletionTimestamp: now.toISOString() } }), aJob(), now))).toEqual([]);
  });

  it('a finished job: terminal condition, finalizer dropped, and the TTL deletes the resource when it runs out', () => {
    const finishedAt = '2026-11-21T10:00:00.000Z';
    const done = aJob({ state: 'succeeded', finishedAt, usersStored: 50_000, chunksDone: 5, progress: 1, etaSeconds: null });
    const resource = aResource({ meta: { finalizers: [FINALIZER] }, spec: { ttlSecondsAfterFinished: 60 } });
    const d = decide(resource, done, now);
    expect(kinds(d)).toEqual(['removeFinalizer']);
    expect(d.requeueAfterMs).toBe(55_000);
    const status = desiredStatus(resource, done, now);
    expect(status.conditions?.find((c) => c.type === 'Succeeded')?.status).toBe('True');
    expect(status).toMatchObject({ state: 'Succeeded', completionTime: finishedAt, progress: '100%' });
    expect(kinds(decide(aResource({ spec: { ttlSecondsAfterFinished: 5 } }), done, now))).toEqual(['deleteResource']);
    expect(decide(aResource(), done, now).requeueAfterMs).toBeNull();
  });

  it('a failed job says why', () => {
    const status = desiredStatus(aResource(), aJob({ state: 'failed', error: 'chunk 3 dead-lettered', finishedAt: now.toISOString() }), now);
    expect(status.conditions?.find((c) => c.type === 'Failed')).toMatchObject({ status: 'True', message: 'chunk 3 dead-lettered' });
  });
});

describe('status and conditions', () => {
  it('moves lastTransitionTime only when a condition changes status, so an unchanged status is not written again', () => {
    const first = desiredStatus(aResource(), aJob(), now);
    const later = new Date(now.getTime() + 60_000);
    const again = desiredStatus(aResource({ status: first }), aJob(), later);
    expect(sameStatus(first, again)).toBe(true);
    const moved = setConditions(first.conditions, [{ type: 'Running', status: 'False', reason: 'Finished', message: '' }], 1, later);
    expect(moved.find((c) => c.type === 'Running')?.lastTransitionTime).toBe(later.toISOString());
    expect(moved.find((c) => c.type === 'Accepted')?.lastTransitionTime).toBe(now.toISOString());
    expect(sameStatus(first, desiredStatus(aResource({ status: first }), aJob({ usersStored: 30_000, progress: 0.6 }), later))).toBe(false);
    // The rate and ETA drift with the clock: on their own they never cause a write (no write → watch → reconcile loop).
    expect(sameStatus(first, desiredStatus(aResource({ status: first }), aJob({ usersPerSec: 9_000, etaSeconds: 4 }), later))).toBe(true);
  });
});

describe('desiredReplicas (pure)', () => {
  it('the largest parallelism at work, capped by partitions, the minimum when idle', () => {
    expect(desiredReplicas([], 1, 12)).toBe(1);
    expect(desiredReplicas([aResource({ spec: { parallelism: 3 } }), aResource({ spec: { parallelism: 5 } })], 1, 12)).toBe(5);
    expect(desiredReplicas([aResource({ spec: { parallelism: 40 } })], 1, 12)).toBe(12);
    expect(desiredReplicas([aResource()], 2, 12)).toBe(2);
  });
});

describe('jobIdFor', () => {
  it('is a stable 24-hex id per uid, different for different uids', () => {
    expect(jobIdFor('a')).toMatch(/^[a-f0-9]{24}$/);
    expect(jobIdFor('a')).toBe(jobIdFor('a'));
    expect(jobIdFor('a')).not.toBe(jobIdFor('b'));
  });
});
