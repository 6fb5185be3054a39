import type { GenerateChunk, JobView } from '@userforge/contracts';
import { toJobView, type JobRepository } from '@userforge/jobs';
import { TallyBuilder, generateChunk, type TallyDelta, type UserDocument } from '@userforge/users';

export interface ChunkDeps {
  users: { insertIgnoringDuplicates(users: UserDocument[]): Promise<number> };
  jobs: Pick<JobRepository, 'stateOf' | 'recordChunkDone' | 'markFailed'>;
  /** Records the chunk's users in the tally (counts by country, gender, sequence slice), once. */
  tally: { record(delta: TallyDelta): Promise<unknown> };
  /** Called between insert batches: keeps the consumer's group membership alive during long chunks. */
  heartbeat: () => Promise<void>;
  onProgress: (job: JobView) => void;
  batchSize: number;
  now?: () => Date;
}

export type ChunkOutcome =
  | { kind: 'stored'; inserted: number; completedJob: boolean }
  | { kind: 'skipped'; reason: string }
  | { kind: 'rejected'; reason: string };

/**
 * The story of one chunk: check the job still wants it, generate its users deterministically,
 * insert them (duplicates from an earlier delivery are fine), then record the chunk as done.
 */
export async function processChunk(deps: ChunkDeps, chunk: GenerateChunk): Promise<ChunkOutcome> {
  const now = deps.now ?? (() => new Date());
  const state = await deps.jobs.stateOf(chunk.jobId);
  if (state === null) return { kind: 'rejected', reason: `unknown job ${chunk.jobId}` };
  if (state === 'cancelled' || state === 'failed') return { kind: 'skipped', reason: `job is ${state}` };
  if (state === 'succeeded') return { kind: 'skipped', reason: 'job already succeeded' };
  // A paused job's published chunks are still stored: a pause stops only publishing (JobRepository.pause).

  let inserted = 0;
  const tally = new TallyBuilder();
  for (const batch of generateChunk(chunk, deps.batchSize)) {
    inserted += await deps.users.insertIgnoringDuplicates(batch);
    for (const user of batch) tally.add(user);
    await deps.heartbeat();
  }
  // Before the marker: a crash in between redoes the chunk, and the tally ignores the repeat.
  await deps.tally.record(tally.build(`chunk:${chunk.jobId}:${chunk.chunkIndex}`, now()));
  const { job, completed } = await deps.jobs.recordChunkDone(
    { jobId: chunk.jobId, chunkIndex: chunk.chunkIndex, count: chunk.count },
    now(),
  );
  if (job) deps.onProgress(toJobView(job, now()));
  return { kind: 'stored', inserted, completedJob: completed };
}

/** A chunk of the job was dead-lettered: the job can never be complete, so it ends as failed. */
export async function failJob(deps: Pick<ChunkDeps, 'jobs' | 'onProgress' | 'now'>, jobId: string, reason: string): Promise<void> {
  const now = deps.now ?? (() => new Date());
  const job = await deps.jobs.markFailed(jobId, reason, now());
  if (job) deps.onProgress(toJobView(job, now()));
}
