import { isActiveState, MAX_JOB_COUNT, type JobState, type JobView } from '@userforge/contracts';
import type { Condition, UserGenerationJob, UserGenerationJobStatus } from '../api/v1alpha1/user-generation-job.types';
import { FINALIZER } from '../api/v1alpha1/user-generation-job.types';
import { setConditions } from './conditions';
import { decideReclaim, purgesOnDelete } from './reclaim';

/** What the reconciler must do for one resource; the reconciler does it, idempotently, in this order. */
export type Action =
  | { kind: 'addFinalizer' }
  | { kind: 'createJob' }
  | { kind: 'cancelJob'; reason: 'Deleted' }
  | { kind: 'pauseJob' }
  | { kind: 'resumeJob' }
  | { kind: 'purgeUsers' }
  | { kind: 'event'; type: 'Normal' | 'Warning'; reason: string; message: string }
  | { kind: 'removeFinalizer' }
  | { kind: 'deleteResource' };

export interface Decision {
  actions: Action[];
  /** Look again after this long (ms): while a job runs, and until a TTL runs out. */
  requeueAfterMs: number | null;
}

const TERMINAL_CONDITION = { succeeded: 'Succeeded', failed: 'Failed', cancelled: 'Cancelled' } as const;
/**
 * How often a running job's status is refreshed without a progress event. Progress events (Redis)
 * drive the status in near real time; this only covers lost ones, and stays long enough that a
 * thousand jobs at work do not become hundreds of reconciles a second.
 */
export const RUNNING_RESYNC_MS = 10_000;

const title = (state: JobState) => state[0]!.toUpperCase() + state.slice(1);
/** The resource's state for its job's: a paused job is a suspended resource (as batch/v1 Job says). */
const stateName = (state: JobState) => (state === 'paused' ? 'Suspended' : title(state));

/** Status fields that follow the platform job. */
export function statusFromJob(job: JobView): Omit<UserGenerationJobStatus, 'conditions' | 'observedGeneration'> {
  return {
    jobId: job.id,
    state: stateName(job.state),
    chunksTotal: job.chunksTotal,
    chunksDone: job.chunksDone,
    usersStored: job.usersStored,
    progress: `${Math.floor(job.progress * 100)}%`,
    usersPerSec: Math.round(job.usersPerSec),
    ...(job.etaSeconds !== null ? { etaSeconds: Math.round(job.etaSeconds) } : {}),
    ...(job.startedAt ? { startTime: job.startedAt } : {}),
    ...(job.finishedAt ? { completionTime: job.finishedAt } : {}),
    ...(job.purge ? { purge: job.purge } : {}),
  };
}

/** Why no job may be made for this resource, whatever is retried; undefined when one may. */
export function refusal(ugj: UserGenerationJob, maxCount: number): { reason: 'CountAboveLimit' | 'JobLost'; message: string } | undefined {
  // Its job existed (status names it) and is gone: the database was replaced or wiped. Running it
  // again would silently store a second set of users; say so instead.
  if (ugj.status?.jobId) return { reason: 'JobLost', message: `platform job ${ugj.status.jobId} is gone from the database; delete and re-apply the resource to run it again` };
  if (ugj.spec.count > maxCount) return { reason: 'CountAboveLimit', message: `count ${ugj.spec.count} is above this operator's MAX_JOB_COUNT (${maxCount})` };
  return undefined;
}

function conditionsFor(job: JobView | null, ugj: UserGenerationJob, now: Date, maxCount: number): Condition[] {
  const generation = ugj.metadata.generation ?? 0;
  const prior = ugj.status?.conditions;
  if (!job) {
    const refused = refusal(ugj, maxCount);
    if (refused) {
      const wanted: Pick<Condition, 'type' | 'status' | 'reason' | 'message'>[] = [{ type: 'Accepted', status: 'False', ...refused }];
      if (refused.reason === 'JobLost') {
        // The state is Failed now, whatever the last status said: no other outcome stays True.
        wanted.push({ type: 'Running', status: 'False', reason: 'JobLost', message: refused.message }, { type: 'Failed', status: 'True', reason: 'JobLost', message: refused.message });
        for (const c of prior ?? []) if ((c.type === 'Succeeded' || c.type === 'Cancelled') && c.status === 'True') wanted.push({ type: c.type, status: 'False', reason: 'JobLost', message: refused.message });
      }
      return setConditions(prior, wanted, generation, now);
    }
    if (ugj.spec.suspend) {
      const wanted: Wanted[] = [{ type: 'Suspended', status: 'True', reason: 'Suspended', message: 'suspended before a job was created' }];
      // Written by earlier operators (suspend used to cancel): suspended is not cancelled.
      if (prior?.some((c) => c.type === 'Cancelled' && c.status === 'True')) wanted.push({ type: 'Cancelled', status: 'False', reason: 'Suspended', message: 'suspended, not cancelled' });
      return setConditions(prior, wanted, generation, now);
    }
    return setConditions(prior, [{ type: 'Accepted', status: 'Unknown', reason: 'Creating', message: 'creating the platform job' }, ...resumed(prior)], generation, now);
  }
  const active = isActiveState(job.state);
  const paused = job.state === 'paused';
  const wanted: Wanted[] = [
    { type: 'Accepted', status: 'True', reason: 'JobCreated', message: `platform job ${job.id}` },
    {
      type: 'Running',
      status: active && !paused ? 'True' : 'False',
      reason: paused ? 'Suspended' : active ? (job.state === 'publishing' ? 'Publishing' : 'Generating') : 'Finished',
      message: active ? `${job.usersStored} of ${job.count} users stored` : `job ${job.state}`,
    },
  ];
  if (paused) {
    wanted.push({ type: 'Suspended', status: 'True', reason: 'Suspended', message: `publishing paused after ${job.chunksPublished} of ${job.chunksTotal} chunks; those published are still stored` });
  } else if (ugj.spec.suspend && job.state === 'running') {
    // Only publishing pauses: every chunk was published before the suspend, so the job runs to its end.
    wanted.push({ type: 'Suspended', status: 'False', reason: 'AllPublished', message: 'every chunk was already published: the job runs to its end' });
  } else if (ugj.spec.suspend && !active) {
    if (prior?.some((c) => c.type === 'Suspended')) wanted.push({ type: 'Suspended', status: 'False', reason: 'Finished', message: `job ${job.state} while suspended` });
  } else if (!ugj.spec.suspend) {
    wanted.push(...resumed(prior));
  }
  if (!active) {
    const type = TERMINAL_CONDITION[job.state as keyof typeof TERMINAL_CONDITION];
    wanted.push({ type, status: 'True', reason: title(job.state), message: job.error ?? `${job.usersStored} users stored` });
  }
  // Suspended before its job existed, then resumed: the job runs, so Cancelled no longer holds.
  if (job.state !== 'cancelled' && prior?.some((c) => c.type === 'Cancelled' && c.status === 'True')) {
    wanted.push({ type: 'Cancelled', status: 'False', reason: 'Resumed', message: 'resumed: the job was created after the resource was unsuspended' });
  }
  return setConditions(prior, wanted, generation, now);
}

type Wanted = Pick<Condition, 'type' | 'status' | 'reason' | 'message'>;

/** Unsuspended: a Suspended condition left from before turns False (any other reason is stale too). */
function resumed(prior: Condition[] | undefined): Wanted[] {
  const suspended = prior?.find((c) => c.type === 'Suspended');
  if (!suspended || (suspended.status === 'False' && suspended.reason === 'Resumed')) return [];
  return [{ type: 'Suspended', status: 'False', reason: 'Resumed', message: 'resumed: spec.suspend is false' }];
}

/** The status a resource should have; the reconciler computes it after acting, from the job it then has. */
export function desiredStatus(ugj: UserGenerationJob, job: JobView | null, now: Date, maxCount: number = MAX_JOB_COUNT): UserGenerationJobStatus {
  const refused = job ? undefined : refusal(ugj, maxCount);
  // A lost job's id stays in status: it is what says the job existed.
  const lost = refused?.reason === 'JobLost' ? { jobId: ugj.status?.jobId } : {};
  const base = job ? statusFromJob(job) : { state: refused ? 'Failed' : ugj.spec.suspend ? 'Suspended' : 'Pending', ...lost };
  return { ...base, conditions: conditionsFor(job, ugj, now, maxCount), observedGeneration: ugj.metadata.generation ?? 0 };
}

/**
 * Decides, without I/O, what to do for a resource given the platform job it maps to (null when none
 * exists yet) and, while a `reclaimPolicy: Delete` resource is deleted, how many of its users are
 * still stored. Level-based: the same inputs always give the same decision, so a repeated reconcile
 * is harmless.
 */
export function decide(ugj: UserGenerationJob, job: JobView | null, now: Date, maxCount: number = MAX_JOB_COUNT, usersLeft?: number): Decision {
  const finalizers = ugj.metadata.finalizers ?? [];
  const active = job !== null && isActiveState(job.state);
  const purges = purgesOnDelete(ugj);

  if (ugj.metadata.deletionTimestamp) {
    if (!finalizers.includes(FINALIZER)) return { actions: [], requeueAfterMs: null };
    if (purges) return decideReclaim(ugj, job, now, usersLeft);
    // Retain: finished jobs' users stay; only a job still at work is cancelled before the resource goes.
    return { actions: [...(active ? [{ kind: 'cancelJob', reason: 'Deleted' } as const] : []), { kind: 'removeFinalizer' }], requeueAfterMs: null };
  }

  const actions: Action[] = [];
  const wantsJob = job === null && !ugj.spec.suspend && refusal(ugj, maxCount) === undefined;
  // Held while the job may be at work and, with reclaimPolicy Delete, for as long as it has users stored.
  if (!finalizers.includes(FINALIZER) && (job === null ? wantsJob : active || purges)) actions.push({ kind: 'addFinalizer' });
  if (wantsJob) actions.push({ kind: 'createJob' });
  // Suspending pauses publishing and resuming resumes it, as batch/v1 Job's suspend (the scaler
  // releases a suspended resource's consumers). A running job has published every chunk: it runs on.
  if (job?.state === 'publishing' && ugj.spec.suspend) actions.push({ kind: 'pauseJob' });
  if (job?.state === 'paused' && !ugj.spec.suspend) actions.push({ kind: 'resumeJob' });
  // Once the job has ended there is nothing left to clean up (Retain): deleting the resource need not wait.
  if (job !== null && !active && !purges && finalizers.includes(FINALIZER)) actions.push({ kind: 'removeFinalizer' });

  let requeueAfterMs: number | null = active || actions.some((a) => a.kind === 'createJob') ? RUNNING_RESYNC_MS : null;

  const finishedAt = job?.finishedAt ? Date.parse(job.finishedAt) : null;
  const ttl = ugj.spec.ttlSecondsAfterFinished;
  if (finishedAt !== null && ttl !== undefined) {
    const left = finishedAt + ttl * 1000 - now.getTime();
    if (left <= 0) actions.push({ kind: 'deleteResource' });
    else requeueAfterMs = Math.min(requeueAfterMs ?? left, left);
  }
  return { actions, requeueAfterMs };
}

/**
 * Equal for the purpose of writing: the rate and the ETA drift with the clock between two chunks, so
 * they alone never cause a write (they are refreshed with the next progress); otherwise every
 * reconcile would write, and every write would trigger the next reconcile.
 */
export function sameStatus(a: UserGenerationJobStatus | undefined, b: UserGenerationJobStatus): boolean {
  const steady = ({ usersPerSec: _rate, etaSeconds: _eta, ...rest }: UserGenerationJobStatus) => rest;
  return JSON.stringify(canonical(steady(a ?? {}))) === JSON.stringify(canonical(steady(b)));
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .sort(([x], [y]) => (x < y ? -1 : 1))
        .map(([k, v]) => [k, canonical(v)]),
    );
  }
  return value;
}

/**
 * Consumer replicas wanted: the largest `parallelism` among resources whose job is at work (1 when
 * unset), never above the topic's partitions (an idle consumer gets none), and `min` when idle.
 */
export function desiredReplicas(running: Pick<UserGenerationJob, 'spec'>[], min: number, partitions: number): number {
  if (running.length === 0) return min;
  const wanted = Math.max(...running.map((r) => r.spec.parallelism ?? 1));
  return Math.max(min, Math.min(wanted, partitions));
}
