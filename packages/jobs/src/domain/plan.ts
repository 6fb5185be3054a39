import { DEFAULT_CHUNK_SIZE, MAX_CHUNKS_PER_JOB, MAX_JOB_COUNT, type GenerateChunk, type Locale } from '@userforge/contracts';

export { DEFAULT_CHUNK_SIZE };

export interface JobPlan {
  count: number;
  chunkSize: number;
  chunksTotal: number;
}

export function planJob(count: number, requestedChunkSize = DEFAULT_CHUNK_SIZE): JobPlan {
  if (count > MAX_JOB_COUNT) throw new RangeError(`a job may have at most ${MAX_JOB_COUNT} users`);
  const chunkSize = Math.max(requestedChunkSize, Math.ceil(count / MAX_CHUNKS_PER_JOB));
  return { count, chunkSize, chunksTotal: Math.ceil(count / chunkSize) };
}

/** The fields of a job that determine its chunks. */
export interface ChunkSource {
  id: string;
  count: number;
  chunkSize: number;
  chunksTotal: number;
  seed: number;
  seqBase: number;
  locale: Locale;
  createdAt: Date;
}

export function chunkMessage(job: ChunkSource, chunkIndex: number): GenerateChunk {
  const jobSeqStart = chunkIndex * job.chunkSize;
  return {
    v: 1,
    jobId: job.id,
    chunkIndex,
    chunksTotal: job.chunksTotal,
    seed: job.seed,
    seqStart: job.seqBase + jobSeqStart,
    jobSeqStart,
    count: Math.min(job.chunkSize, job.count - jobSeqStart),
    locale: job.locale,
    createdAt: job.createdAt.toISOString(),
  };
}

/** Round-robin over partitions: chunk i of every job lands on partition i mod n, an even spread. */
export function partitionFor(chunkIndex: number, partitions: number): number {
  return chunkIndex % partitions;
}

export function chunkKey(jobId: string, chunkIndex: number): string {
  return `${jobId}:${chunkIndex}`;
}

/** Users stored once `chunksDone` chunks are done: every chunk is full except possibly the last. */
export function usersInDoneChunks(plan: Pick<JobPlan, 'count' | 'chunkSize' | 'chunksTotal'>, chunksDone: number, lastChunkDone: boolean): number {
  const lastSize = plan.count - (plan.chunksTotal - 1) * plan.chunkSize;
  const stored = lastChunkDone ? (Math.max(chunksDone, 1) - 1) * plan.chunkSize + lastSize : chunksDone * plan.chunkSize;
  return Math.min(Math.max(stored, 0), plan.count);
}
