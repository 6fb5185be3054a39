import type { JobView } from '@userforge/contracts';
import { cancelJob, type JobDocument, type JobRepository } from '@userforge/jobs';
import { AppError, periodicWorker, type Logger } from '@userforge/platform';
import type { UserGenerationJob } from '../api/v1alpha1/user-generation-job.types';

/** What an operator watches (namespace and label selector): it sweeps only the jobs it made. */
export const operatorScope = (watchNamespace?: string, labelSelector?: string) => `${watchNamespace ?? '*'}|${labelSelector ?? ''}`;

/**
 * Jobs still at work whose resource is gone (deleted while MongoDB could not be reached, so its
 * finalizer let it go without the cancel): those this operator's scope made whose uid no resource
 * has. Pure; `isLive` is asked after the jobs were read, so a resource created meanwhile is never
 * taken for a gone one.
 */
export function orphanedJobs(active: JobDocument[], isLive: (uid: string) => boolean, scope: string): JobDocument[] {
  return active.filter((job) => job.origin?.scope === scope && !isLive(job.origin.uid));
}

export interface OrphanSweepDeps {
  cache: Map<string, UserGenerationJob>;
  /** False until the informer's first list: an empty cache then says nothing. */
  synced: () => boolean;
  jobs: JobRepository;
  publisher: { schedule(jobId: string): void };
  announce: (job: JobView) => void;
  logger: Logger;
  /** operatorScope of this operator. */
  scope: string;
  onCancelled?: () => void;
}

/** The leader's sweep, every `everyMs`: cancels the jobs whose resource is gone. */
export function orphanSweep(deps: OrphanSweepDeps, everyMs: number) {
  return periodicWorker(
    'orphan-sweep',
    everyMs,
    async () => {
      if (!deps.synced()) return;
      const active = await deps.jobs.activeOf('UserGenerationJob');
      // Read after the jobs: a job is made only for a resource already in the cache.
      const live = new Set([...deps.cache.values()].map((u) => u.metadata.uid));
      for (const job of orphanedJobs(active, (uid) => live.has(uid), deps.scope)) {
        try {
          await cancelJob({ jobs: deps.jobs, publisher: deps.publisher, onProgress: deps.announce }, job._id);
          deps.onCancelled?.();
          deps.logger.warn({ jobId: job._id, resource: `${job.origin!.namespace}/${job.origin!.name}` }, 'cancelled a job whose resource is gone');
        } catch (err) {
          // Finished meanwhile (409): nothing to do. Anything else: the next orphans still get their turn.
          if (!(err instanceof AppError && err.status === 409)) deps.logger.warn({ jobId: job._id, err: (err as Error)?.message ?? err }, 'could not cancel a job whose resource is gone; retrying next sweep');
        }
      }
    },
    deps.logger,
  );
}
