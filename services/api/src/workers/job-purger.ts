import type { PurgeView } from '@userforge/contracts';
import type { Logger, Worker } from '@userforge/platform';
import { beginPurge, purgeJobUsers, type PurgeDeps, type PurgePlan } from '@userforge/users';

/**
 * The `job-purger` worker runs purges of jobs' users in the background, one per job in this process
 * (a repeated DELETE while one runs joins it). Stopping ends each purge between two windows; it stays
 * `purging` until a DELETE repeats it, which then finishes it.
 */
export class JobPurger implements Worker {
  readonly name = 'job-purger';
  private readonly running = new Map<string, Promise<unknown>>();
  private readonly abort = new AbortController();

  constructor(
    private readonly deps: PurgeDeps,
    /** Told after each step (the job view on SSE). */
    private readonly onProgress: (jobId: string, progress: PurgeView) => void | Promise<void>,
    private readonly logger: Logger,
  ) {}

  start(): void {}

  /** Checks the job and records the purge as begun (throws 404, 409); then runs it unless nothing is left. */
  async purge(jobId: string): Promise<PurgePlan> {
    const plan = await beginPurge(this.deps, jobId);
    await this.onProgress(jobId, plan.progress);
    if (plan.progress.state === 'purging' && !this.running.has(jobId) && !this.abort.signal.aborted) {
      const run = purgeJobUsers(this.deps, plan, { signal: this.abort.signal, onProgress: (p) => this.onProgress(jobId, p) })
        .then((p) => this.logger.info({ jobId, ...p }, p.state === 'purged' ? "job's users purged" : 'purge stopped; a repeated DELETE finishes it'))
        .catch((err: unknown) => this.logger.warn({ err, jobId }, 'purge failed; a repeated DELETE finishes it'))
        .finally(() => this.running.delete(jobId));
      this.running.set(jobId, run);
    }
    return plan;
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await Promise.all(this.running.values());
  }
}
