import { Topics, encodeMessage, type JobView } from '@userforge/contracts';
import type { JobRepository } from '../data/job.repository';
import { toJobView, type JobDocument } from '../domain/job-view';
import { chunkKey, chunkMessage, partitionFor } from '../domain/plan';

export interface ChunkSender {
  send(messages: { key: string; value: string; partition: number }[]): Promise<void>;
}

export interface PublishDeps {
  jobs: JobRepository;
  sender: ChunkSender;
  partitions: number;
  /** Identity of this publisher, for the job's lease. */
  owner: string;
  onProgress?: (job: JobView) => void;
  batchSize?: number;
  leaseMs?: number;
  now?: () => Date;
  /** Checked between batches: true makes the publisher leave the rest to whoever adopts the job. */
  shouldStop?: () => boolean;
}

/**
 * Publishes a job's chunks to Kafka in bounded batches, resuming from what was already published.
 * Only chunk indices live in memory, never the job's users or all of its messages. Stops when the
 * job is paused or cancelled, or another publisher holds it. Republishing a chunk is harmless: chunks are
 * idempotent.
 */
export async function publishJob(deps: PublishDeps, jobId: string): Promise<JobDocument | null> {
  const now = deps.now ?? (() => new Date());
  const leaseMs = deps.leaseMs ?? 30_000;
  const batchSize = deps.batchSize ?? 500;
  if (!(await deps.jobs.claimPublishing(jobId, deps.owner, now(), leaseMs))) return deps.jobs.findById(jobId);
  let job = await deps.jobs.findById(jobId);
  while (job && job.state === 'publishing' && job.chunksPublished < job.chunksTotal) {
    if (deps.shouldStop?.()) return job;
    const from = job.chunksPublished;
    const to = Math.min(from + batchSize, job.chunksTotal);
    const messages = [];
    for (let i = from; i < to; i++) {
      messages.push({
        key: chunkKey(job._id, i),
        partition: partitionFor(i, deps.partitions),
        value: encodeMessage(Topics.userCreateBulk, chunkMessage({ ...job, id: job._id }, i)),
      });
    }
    await deps.sender.send(messages);
    const updated = await deps.jobs.markPublished(jobId, deps.owner, to, now(), leaseMs);
    if (!updated) return deps.jobs.findById(jobId); // cancelled, finished, or taken over (a paused job ends the loop below)
    job = updated;
    deps.onProgress?.(toJobView(job, now()));
  }
  if (job?.state === 'publishing') {
    job = (await deps.jobs.markRunning(jobId, now())) ?? (await deps.jobs.findById(jobId));
    if (job) deps.onProgress?.(toJobView(job, now()));
  } else if (job?.state === 'paused') {
    // Paused: whoever resumes the job (any process) publishes the rest at once, without waiting for the lease to run out.
    await deps.jobs.releaseLease(jobId, deps.owner);
    job = (await deps.jobs.findById(jobId)) ?? job;
  }
  return job;
}
