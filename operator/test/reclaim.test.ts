import { FINALIZER } from '../src/api/v1alpha1/user-generation-job.types';
import { decide, desiredStatus } from '../src/controller/desired';
import { SETTLE_AFTER_CANCEL_MS, countsUsersLeft, settlingMs } from '../src/controller/reclaim';
import { aJob, aResource } from './fixtures';

const now = new Date('2026-11-21T10:00:05.000Z');
const kinds = (d: ReturnType<typeof decide>) => d.actions.map((a) => a.kind);
const events = (d: ReturnType<typeof decide>) => d.actions.flatMap((a) => (a.kind === 'event' ? [`${a.type} ${a.reason}: ${a.message}`] : []));
const held = { finalizers: [FINALIZER] };
const deleting = { finalizers: [FINALIZER], deletionTimestamp: now.toISOString() };
const reclaimed = (meta: object = deleting) => aResource({ spec: { reclaimPolicy: 'Delete' }, meta });
const ended = (state: 'succeeded' | 'cancelled' | 'failed', msAgo: number, more = {}) =>
  aJob({ state, usersStored: 3_000, count: 3_000, finishedAt: new Date(now.getTime() - msAgo).toISOString(), ...more });

describe('reclaimPolicy (pure decisions)', () => {
  it('Delete keeps the finalizer while the job has users stored; Retain lets it go once the job ended', () => {
    const done = ended('succeeded', 60_000);
    expect(kinds(decide(reclaimed(held), done, now))).toEqual([]);
    expect(kinds(decide(aResource({ meta: held }), done, now))).toEqual(['removeFinalizer']);
    expect(kinds(decide(aResource({ meta: held, spec: { reclaimPolicy: 'Retain' } }), done, now))).toEqual(['removeFinalizer']);
    // Taken on by an operator that knows the policy: a finished job's resource gets the finalizer back.
    expect(kinds(decide(reclaimed({}), done, now))).toEqual(['addFinalizer']);
    // Nothing made yet: the finalizer comes with the job, as for Retain; none for a resource that will make none.
    expect(kinds(decide(reclaimed({}), null, now))).toEqual(['addFinalizer', 'createJob']);
    expect(kinds(decide(aResource({ spec: { reclaimPolicy: 'Delete', suspend: true } }), null, now))).toEqual([]);
  });

  it('deleting: a job still at work is cancelled first, and the purge waits for its last chunks to settle', () => {
    const cancel = decide(reclaimed(), aJob(), now);
    expect(kinds(cancel)).toEqual(['cancelJob']);
    expect(cancel.requeueAfterMs).toBe(SETTLE_AFTER_CANCEL_MS);
    expect(kinds(decide(reclaimed(), aJob({ state: 'paused' }), now))).toEqual(['cancelJob']);
    const settling = decide(reclaimed(), ended('cancelled', 4_000), now, undefined, 2_000);
    expect(settling).toEqual({ actions: [], requeueAfterMs: SETTLE_AFTER_CANCEL_MS - 4_000 });
    expect(settlingMs(ended('failed', 1_000), now)).toBe(SETTLE_AFTER_CANCEL_MS - 1_000);
    // A succeeded job stored its every chunk: nothing is still landing.
    expect(settlingMs(ended('succeeded', 0), now)).toBe(0);
    expect(kinds(decide(reclaimed(), ended('cancelled', SETTLE_AFTER_CANCEL_MS), now, undefined, 2_000))).toEqual(['event', 'purgeUsers']);
  });

  it('deleting: purges while users are left, saying so once, and looks again at once; then says Purged and lets the resource go', () => {
    const done = ended('succeeded', 60_000);
    const first = decide(reclaimed(), done, now, undefined, 3_000);
    expect(kinds(first)).toEqual(['event', 'purgeUsers']);
    expect(first.requeueAfterMs).toBe(0);
    expect(events(first)).toEqual([`Normal Purging: purging 3000 users of platform job ${done.id} (reclaimPolicy: Delete); status.purge shows the progress`]);
    const underWay = { ...done, purge: { state: 'purging' as const, deleted: 1_000, remaining: 2_000 } };
    expect(kinds(decide(reclaimed(), underWay, now, undefined, 2_000))).toEqual(['purgeUsers']);
    // A user stored after a purge that said purged (a late chunk): purged again, the finalizer still held.
    const late = { ...done, purge: { state: 'purged' as const, deleted: 3_000, remaining: 0 } };
    expect(kinds(decide(reclaimed(), late, now, undefined, 1))).toEqual(['event', 'purgeUsers']);
    const last = decide(reclaimed(), late, now, undefined, 0);
    expect(kinds(last)).toEqual(['event', 'removeFinalizer']);
    expect(events(last)).toEqual([`Normal Purged: 3000 users of platform job ${done.id} purged, none left: the resource goes`]);
    expect(last.requeueAfterMs).toBeNull();
  });

  it('deleting: no job (never made, or gone from the database) has nothing to purge; Retain purges nothing; a released resource is left alone', () => {
    expect(kinds(decide(reclaimed(), null, now))).toEqual(['removeFinalizer']);
    expect(kinds(decide(aResource({ meta: deleting }), ended('succeeded', 60_000), now, undefined, 3_000))).toEqual(['removeFinalizer']);
    expect(kinds(decide(reclaimed({ deletionTimestamp: now.toISOString() }), ended('succeeded', 60_000), now, undefined, 3_000))).toEqual([]);
  });

  it('counts the users left only when a purge is to be decided: Delete, being deleted, finalizer held, job ended', () => {
    const done = ended('succeeded', 60_000);
    expect(countsUsersLeft(reclaimed(), done)).toBe(true);
    expect(countsUsersLeft(reclaimed(), aJob())).toBe(false);
    expect(countsUsersLeft(reclaimed(), null)).toBe(false);
    expect(countsUsersLeft(reclaimed(held), done)).toBe(false);
    expect(countsUsersLeft(aResource({ meta: deleting }), done)).toBe(false);
    expect(countsUsersLeft(reclaimed({ deletionTimestamp: now.toISOString() }), done)).toBe(false);
  });

  it('the TTL deletes a Delete resource as any other: the deletion then goes through the purge', () => {
    const done = ended('succeeded', 10_000);
    expect(kinds(decide(aResource({ spec: { reclaimPolicy: 'Delete', ttlSecondsAfterFinished: 5 }, meta: held }), done, now))).toEqual(['deleteResource']);
  });

  it("status shows the job's purge", () => {
    const purge = { state: 'purging' as const, deleted: 1_000, remaining: 2_000 };
    expect(desiredStatus(reclaimed(), { ...ended('succeeded', 60_000), purge }, now).purge).toEqual(purge);
    expect(desiredStatus(reclaimed(), ended('succeeded', 60_000), now)).not.toHaveProperty('purge');
  });
});
