import { isActiveState, type JobView } from '@userforge/contracts';
import { FINALIZER, type UserGenerationJob } from '../api/v1alpha1/user-generation-job.types';
import type { Decision } from './desired';

/**
 * `spec.reclaimPolicy`: what deleting a resource (by hand or by its TTL) does to the users its job
 * generated. `Retain` (the default) keeps them; `Delete` holds the finalizer until they are purged
 * — through the same purge use case as `DELETE /v1/jobs/{id}/users` — and only then lets it go.
 */

/**
 * How long a purge waits after its job was cancelled (or failed): a consumer that was already storing
 * a chunk when the job ended still finishes it. A user landing later still keeps the finalizer: it
 * goes only when a fresh count finds none.
 */
export const SETTLE_AFTER_CANCEL_MS = 10_000;
/** One reconcile purges for about this long (it stops between two windows), then writes the progress to status. */
export const PURGE_SLICE_MS = 2_000;

/** True when deleting the resource purges its users first. */
export const purgesOnDelete = (ugj: Pick<UserGenerationJob, 'spec'>): boolean => ugj.spec.reclaimPolicy === 'Delete';

/** True when the users still stored for the resource's job are to be counted before deciding (a gather the reconciler does). */
export function countsUsersLeft(ugj: UserGenerationJob, job: JobView | null): boolean {
  return reclaiming(ugj) && job !== null && !isActiveState(job.state);
}

const reclaiming = (ugj: UserGenerationJob) => !!ugj.metadata.deletionTimestamp && purgesOnDelete(ugj) && (ugj.metadata.finalizers ?? []).includes(FINALIZER);

/** Milliseconds a cancelled or failed job's last chunks may still be landing; 0 once settled. */
export function settlingMs(job: JobView, now: Date): number {
  if ((job.state !== 'cancelled' && job.state !== 'failed') || !job.finishedAt) return 0;
  return Math.max(0, Date.parse(job.finishedAt) + SETTLE_AFTER_CANCEL_MS - now.getTime());
}

/**
 * A resource with `reclaimPolicy: Delete` being deleted, its finalizer still held: cancel a job still
 * at work and let it settle, then purge slice by slice (looking again at once after each), and let
 * the resource go once its job has no user left. `usersLeft` is the reconciler's fresh count of them.
 */
export function decideReclaim(ugj: UserGenerationJob, job: JobView | null, now: Date, usersLeft?: number): Decision {
  // No job was ever made (suspended, refused), or it is gone from the database: nothing of it can be found to purge.
  if (job === null) return { actions: [{ kind: 'removeFinalizer' }], requeueAfterMs: null };
  if (isActiveState(job.state)) return { actions: [{ kind: 'cancelJob', reason: 'Deleted' }], requeueAfterMs: SETTLE_AFTER_CANCEL_MS };
  const settling = settlingMs(job, now);
  if (settling > 0) return { actions: [], requeueAfterMs: settling };
  if (usersLeft === undefined || usersLeft > 0) {
    // Said once, when the purge begins: the job's purge record is fresher than the cached status.
    const begins = job.purge?.state !== 'purging';
    const told = `purging ${usersLeft ?? 'the'} users of platform job ${job.id} (reclaimPolicy: Delete); status.purge shows the progress`;
    return { actions: [...(begins ? [{ kind: 'event', type: 'Normal', reason: 'Purging', message: told } as const] : []), { kind: 'purgeUsers' }], requeueAfterMs: 0 };
  }
  const purged = job.purge?.deleted ?? 0;
  return {
    actions: [
      { kind: 'event', type: 'Normal', reason: 'Purged', message: `${purged} users of platform job ${job.id} purged, none left: the resource goes` },
      { kind: 'removeFinalizer' },
    ],
    requeueAfterMs: null,
  };
}
