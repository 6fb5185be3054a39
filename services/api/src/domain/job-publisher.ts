import { randomUUID } from 'node:crypto';
import type { JobView } from '@userforge/contracts';
import { publishJob, type ChunkSender, type JobRepository } from '@userforge/jobs';
import type { Logger } from '@userforge/platform';

const LEASE_MS = 30_000;

/**
 * Publishes jobs' chunks in the background so `POST /v1/jobs` answers at once, and adopts jobs
 * whose publisher died (lease expired) — from this or any other API instance.
 */
export class JobPublisher {
  readonly owner = `api-${randomUUID()}`;
  private readonly running = new Map<string, Promise<void>>();
  private stopping = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly deps: {
      jobs: JobRepository;
      sender: ChunkSender;
      partitions: number;
      logger: Logger;
      onProgress: (job: JobView) => void;
    },
  ) {}

  schedule(jobId: string): void {
    if (this.stopping || this.running.has(jobId)) return;
    const run = publishJob(
      {
        jobs: this.deps.jobs,
        sender: this.deps.sender,
        partitions: this.deps.partitions,
        owner: this.owner,
        onProgress: this.deps.onProgress,
        leaseMs: LEASE_MS,
        shouldStop: () => this.stopping,
      },
      jobId,
    )
      .then((job) => this.deps.logger.info({ jobId, state: job?.state, published: job?.chunksPublished }, 'job publishing ended'))
      .catch((err: unknown) => this.deps.logger.error({ err, jobId }, 'publishing failed; another attempt adopts the job when its lease expires'))
      .finally(() => this.running.delete(jobId));
    this.running.set(jobId, run);
  }

  async adoptOrphans(): Promise<void> {
    for (const job of await this.deps.jobs.findOrphanedPublishing(new Date())) this.schedule(job._id);
  }

  startAdopting(intervalMs = 10_000): void {
    const tick = () => void this.adoptOrphans().catch((err: unknown) => this.deps.logger.warn({ err }, 'adopting jobs failed'));
    tick();
    this.timer = setInterval(tick, intervalMs);
    this.timer.unref();
  }

  /** Stops at the next batch boundary and releases the leases so another instance resumes at once. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    await Promise.all(this.running.values());
    await this.deps.jobs.releaseLeases(this.owner);
  }
}
