import { randomUUID } from 'node:crypto';
import type { JobView } from '@userforge/contracts';
import type { Logger, Worker } from '@userforge/platform';
import type { JobRepository } from '../data/job.repository';
import { publishJob, type ChunkSender } from './publish-job';

const LEASE_MS = 30_000;

export interface JobPublisherDeps {
  jobs: JobRepository;
  sender: ChunkSender;
  partitions: number;
  logger: Logger;
  onProgress: (job: JobView) => void;
  /** Names this process in the job's lease (`api`, `operator`). */
  ownerPrefix?: string;
  adoptEveryMs?: number;
  /** Chunks per Kafka batch (publishJob's default when unset); pausing takes effect between batches. */
  batchSize?: number;
}

/**
 * The `job-publisher` worker: publishes jobs' chunks in the background so a job's creator answers at
 * once, and adopts jobs whose publisher died (lease expired) — from this or any other process.
 */
export class JobPublisher implements Worker {
  readonly name = 'job-publisher';
  readonly owner: string;
  private readonly running = new Map<string, Promise<void>>();
  /** Jobs scheduled again while their run was ending (resumed as it stopped on their pause): run once more after it. */
  private readonly again = new Set<string>();
  private stopping = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: JobPublisherDeps) {
    this.owner = `${deps.ownerPrefix ?? 'api'}-${randomUUID()}`;
  }

  schedule(jobId: string): void {
    if (this.stopping) return;
    if (this.running.has(jobId)) {
      this.again.add(jobId);
      return;
    }
    const { logger } = this.deps;
    const run = publishJob(
      {
        jobs: this.deps.jobs,
        sender: this.deps.sender,
        partitions: this.deps.partitions,
        owner: this.owner,
        onProgress: this.deps.onProgress,
        leaseMs: LEASE_MS,
        batchSize: this.deps.batchSize,
        shouldStop: () => this.stopping,
      },
      jobId,
    )
      .then((job) => logger.info({ jobId, state: job?.state, published: job?.chunksPublished }, 'job publishing ended'))
      .catch((err: unknown) => logger.error({ err, jobId }, 'publishing failed; another attempt adopts the job when its lease expires'))
      .finally(() => {
        this.running.delete(jobId);
        if (this.again.delete(jobId)) this.schedule(jobId);
      });
    this.running.set(jobId, run);
  }

  async adoptOrphans(): Promise<void> {
    for (const job of await this.deps.jobs.findOrphanedPublishing(new Date())) this.schedule(job._id);
  }

  start(): void {
    const tick = () => void this.adoptOrphans().catch((err: unknown) => this.deps.logger.warn({ err }, 'adopting jobs failed'));
    tick();
    this.timer = setInterval(tick, this.deps.adoptEveryMs ?? 10_000);
    this.timer.unref();
  }

  /** Stops at the next batch boundary and releases the leases so another process resumes at once. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    await Promise.all(this.running.values());
    await this.deps.jobs.releaseLeases(this.owner);
  }
}
