import type { JobView } from '@userforge/contracts';
import { cancelJob, pauseJob, resumeJob, startJob, toJobView, type JobDeps, type JobRepository } from '@userforge/jobs';
import { AppError, isUnavailable, type Logger } from '@userforge/platform';
import { beginPurge, purgeJobUsers, seqRangeOf, type PurgeDeps } from '@userforge/users';
import { FINALIZER, jobIdFor, type UserGenerationJob } from '../api/v1alpha1/user-generation-job.types';
import { eventTargetOf, type KubeClient } from '../k8s/client';
import { decide, desiredStatus, sameStatus, type Action } from './desired';
import { PURGE_SLICE_MS, countsUsersLeft, purgesOnDelete } from './reclaim';

export interface JobStore {
  jobs: JobRepository;
  publisher: { schedule(jobId: string): void };
  /** What purging a job's users takes (reclaimPolicy Delete): the same use case and wiring as the API's. */
  purge: PurgeDeps;
}

export interface ReconcilerDeps {
  /** The informer's cache: reconcile reads the object from it (level-based, no extra GET). */
  cache: Map<string, UserGenerationJob>;
  kube: Pick<KubeClient, 'patchStatus' | 'setFinalizers' | 'deleteJob' | 'recordEvent'>;
  /**
   * The job store and the publisher of a created job's chunks (the job publisher worker of
   * packages/jobs); throws ServerUnavailable until MongoDB and Kafka were reached.
   */
  store(): JobStore;
  /** Tells every API instance's live stream about a job change. */
  announce(job: JobView): void;
  logger: Logger;
  /** Names this replica in Events. */
  identity: string;
  /** The most users a resource may ask for (MAX_JOB_COUNT, as the API's). */
  maxCount: number;
  /** operatorScope of this operator, recorded in each job it makes (its orphan sweep takes only those). */
  scope: string;
  /** Called once a job exists and before its status is written (the crash test kills the process here). */
  afterJobCreated?: () => void;
  now?: () => Date;
}

const TERMINAL_EVENTS: Record<string, { type: 'Normal' | 'Warning'; reason: string }> = {
  Succeeded: { type: 'Normal', reason: 'JobSucceeded' },
  Failed: { type: 'Warning', reason: 'JobFailed' },
  Cancelled: { type: 'Normal', reason: 'JobCancelled' },
};

/**
 * Reconciles one UserGenerationJob: gather (the object from the cache, its platform job from
 * MongoDB), decide (pure, desired.ts), act idempotently, and write status only when it changed.
 * Returns when to look again (ms), or null.
 */
export class UserGenerationJobReconciler {
  constructor(private readonly deps: ReconcilerDeps) {}

  async reconcile(key: string): Promise<number | null> {
    const ugj = this.deps.cache.get(key);
    if (!ugj) return null; // gone: the finalizer cancelled a running job and, with reclaimPolicy Delete, purged its users
    const now = (this.deps.now ?? (() => new Date()))();
    const jobId = jobIdFor(ugj.metadata.uid);
    let job: JobView | null;
    let usersLeft: number | undefined;
    try {
      ({ job, usersLeft } = await this.gather(ugj, jobId));
    } catch (err) {
      if (!ugj.metadata.deletionTimestamp || !isUnavailable(err)) throw err;
      if (purgesOnDelete(ugj) && ugj.metadata.finalizers?.includes(FINALIZER)) return this.purgeWaits(ugj, jobId, err as Error);
      await this.releaseWithoutDatabase(ugj, jobId, err as Error);
      return null;
    }
    const decision = decide(ugj, job, now, this.deps.maxCount, usersLeft);

    for (const action of decision.actions) job = (await this.act(ugj, action, jobId, job)) ?? job;
    if (decision.actions.some((a) => a.kind === 'removeFinalizer' || a.kind === 'deleteResource') && ugj.metadata.deletionTimestamp) return null;
    if (decision.actions.some((a) => a.kind === 'deleteResource')) return null;

    const status = desiredStatus(ugj, job, now, this.deps.maxCount);
    if (!sameStatus(ugj.status, status)) {
      await this.deps.kube.patchStatus(ugj, status);
      const ended = TERMINAL_EVENTS[status.state ?? ''];
      const why = job ? (job.error ?? `${job.usersStored} users stored`) : (status.conditions?.find((c) => c.type === 'Accepted')?.message ?? 'no job was created');
      if (ended && ugj.status?.state !== status.state) await this.event(ugj, ended.type, ended.reason, why);
    }
    return decision.requeueAfterMs;
  }

  private async findJob(jobId: string): Promise<JobView | null> {
    const doc = await this.deps.store().jobs.findById(jobId);
    return doc ? toJobView(doc) : null;
  }

  /** The resource's job and, when a purge is to be decided, how many of its users (its reserved sequence range) are still stored. */
  private async gather(ugj: UserGenerationJob, jobId: string): Promise<{ job: JobView | null; usersLeft?: number }> {
    const { jobs, purge } = this.deps.store();
    const doc = await jobs.findById(jobId);
    const job = doc ? toJobView(doc) : null;
    if (!doc || !countsUsersLeft(ugj, job)) return { job };
    const { from, to } = seqRangeOf(doc);
    return { job, usersLeft: await purge.users.countInSeqRange(from, to) };
  }

  private async act(ugj: UserGenerationJob, action: Action, jobId: string, job: JobView | null): Promise<JobView | null> {
    const finalizers = ugj.metadata.finalizers ?? [];
    switch (action.kind) {
      case 'addFinalizer':
        await this.deps.kube.setFinalizers(ugj, [...finalizers, FINALIZER]);
        return null;
      case 'removeFinalizer':
        await this.deps.kube.setFinalizers(ugj, finalizers.filter((f) => f !== FINALIZER));
        return null;
      case 'createJob':
        return this.createJob(ugj, jobId);
      case 'cancelJob':
        return this.cancel(ugj, jobId, job);
      case 'pauseJob':
        return this.pauseOrResume(ugj, jobId, 'pause', job);
      case 'resumeJob':
        return this.pauseOrResume(ugj, jobId, 'resume', job);
      case 'purgeUsers':
        return this.purge(jobId);
      case 'event':
        await this.event(ugj, action.type, action.reason, action.message);
        return null;
      case 'deleteResource':
        await this.deps.kube.deleteJob(ugj);
        return null;
    }
  }

  /** Exactly once per resource: the id comes from the resource's uid, and startJob creates or returns the job of that id. */
  private async createJob(ugj: UserGenerationJob, jobId: string): Promise<JobView> {
    const { count, seed, chunkSize, locale } = ugj.spec;
    const { job, created } = await startJob(
      { ...this.deps.store(), onProgress: this.deps.announce },
      { count, seed, chunkSize, locale },
      { id: jobId, maxCount: this.deps.maxCount, origin: { kind: 'UserGenerationJob', namespace: ugj.metadata.namespace ?? '', name: ugj.metadata.name, uid: ugj.metadata.uid, scope: this.deps.scope } },
    );
    this.deps.afterJobCreated?.();
    if (created) await this.event(ugj, 'Normal', 'JobCreated', `platform job ${jobId} for ${count} users (${job.chunksTotal} chunks)`);
    return job;
  }

  /**
   * A deletion never waits for MongoDB: the finalizer goes now, with a Warning Event, and a job still
   * at work is cancelled once MongoDB is back (cancelJobsOfDeletedResources, the leader's sweep).
   */
  private async releaseWithoutDatabase(ugj: UserGenerationJob, jobId: string, err: Error): Promise<void> {
    const finalizers = ugj.metadata.finalizers ?? [];
    if (!finalizers.includes(FINALIZER)) return;
    await this.deps.kube.setFinalizers(ugj, finalizers.filter((f) => f !== FINALIZER));
    this.deps.logger.warn({ resource: `${ugj.metadata.namespace}/${ugj.metadata.name}`, jobId, err: err.message }, 'deleted without reaching MongoDB; its job is cancelled when MongoDB is back');
    await this.event(ugj, 'Warning', 'CancelDeferred', `MongoDB unreachable (${err.name}): the resource goes now; platform job ${jobId}, if still at work, is cancelled once MongoDB is back`);
  }

  /**
   * One slice of the purge (the use case behind `DELETE /v1/jobs/{id}/users`): it stops between two
   * windows after PURGE_SLICE_MS, so the status shows the progress and the next reconcile goes on.
   */
  private async purge(jobId: string): Promise<JobView | null> {
    const deps = this.deps.store().purge;
    const plan = await beginPurge(deps, jobId);
    if (plan.progress.state === 'purging') await purgeJobUsers(deps, plan, { signal: AbortSignal.timeout(PURGE_SLICE_MS) });
    return this.findJob(jobId);
  }

  /**
   * reclaimPolicy Delete asked for the users to go with the resource: unlike Retain's, this deletion
   * waits for MongoDB (the work queue retries with backoff), said by a Warning Event counted up.
   */
  private async purgeWaits(ugj: UserGenerationJob, jobId: string, err: Error): Promise<never> {
    this.deps.logger.warn({ resource: `${ugj.metadata.namespace}/${ugj.metadata.name}`, jobId, err: err.message }, 'deleted with reclaimPolicy Delete while MongoDB is unreachable; the purge waits for it');
    await this.event(ugj, 'Warning', 'PurgeWaiting', `MongoDB unreachable (${err.name}): the users of platform job ${jobId} are purged once it answers; the resource stays until then`);
    throw err;
  }

  private get jobDeps(): JobDeps {
    return { ...this.deps.store(), onProgress: this.deps.announce };
  }

  private async cancel(ugj: UserGenerationJob, jobId: string, job: JobView | null): Promise<JobView | null> {
    try {
      const view = await cancelJob(this.jobDeps, jobId);
      await this.event(ugj, 'Normal', 'JobCancelled', 'deleted while running: the job was cancelled');
      return view;
    } catch (err) {
      // Already finished in the meantime: nothing to cancel.
      if (err instanceof AppError && err.status === 409) return job;
      throw err;
    }
  }

  /** spec.suspend changed: pause or resume the job's publishing (the same use cases as the API's). */
  private async pauseOrResume(ugj: UserGenerationJob, jobId: string, what: 'pause' | 'resume', job: JobView | null): Promise<JobView | null> {
    try {
      if (what === 'pause') {
        const view = await pauseJob(this.jobDeps, jobId);
        await this.event(ugj, 'Normal', 'JobSuspended', `suspended: publishing paused after ${view.chunksPublished} of ${view.chunksTotal} chunks`);
        return view;
      }
      const view = await resumeJob(this.jobDeps, jobId);
      await this.event(ugj, 'Normal', 'JobResumed', `resumed: publishing from chunk ${view.chunksPublished} of ${view.chunksTotal}`);
      return view;
    } catch (err) {
      // Its state moved meanwhile (the last chunk got published, or it ended): the status shows what it is now.
      if (err instanceof AppError && err.status === 409) return this.findJob(jobId);
      throw err;
    }
  }

  private async event(ugj: UserGenerationJob, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    try {
      await this.deps.kube.recordEvent(eventTargetOf(ugj), type, reason, message, this.deps.identity);
    } catch (err) {
      this.deps.logger.warn({ err: (err as Error)?.message ?? err, reason }, 'could not record an Event');
    }
  }
}
