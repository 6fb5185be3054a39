/**
 * Where a generation job's time went, from the database's own records: the request (POST or kubectl
 * apply) → the job created → its first chunk stored → its last chunk stored. The part before the
 * first chunk is start-up (publishing, the consumers' fetch), the rest is throughput.
 */
import type { Db } from 'mongodb';

export interface JobTimeline {
  requestToCreatedMs: number;
  createdToFirstChunkMs: number;
  firstToLastChunkMs: number;
  /** Users per second between the first and the last chunk stored (the job's steady pace); null for a one-chunk job. */
  steadyUsersPerSec: number | null;
}

/** `job` as the caller already read it (its id and when it was created). */
export async function jobTimeline(db: Db, job: { id: string; createdAt: Date }, requestedAt: number, users: number): Promise<JobTimeline> {
  const jobId = job.id;
  const completions = db.collection<{ jobId: string; doneAt: Date; users: number }>('job_completions');
  const [first] = await completions.find({ jobId }).sort({ doneAt: 1 }).limit(1).toArray();
  const [last] = await completions.find({ jobId }).sort({ doneAt: -1 }).limit(1).toArray();
  if (!first || !last) throw new Error(`job ${jobId} has no chunk completions`);
  const firstToLastChunkMs = last.doneAt.getTime() - first.doneAt.getTime();
  return {
    requestToCreatedMs: job.createdAt.getTime() - requestedAt,
    createdToFirstChunkMs: first.doneAt.getTime() - job.createdAt.getTime(),
    firstToLastChunkMs,
    // The first chunk's users were stored before the span starts.
    steadyUsersPerSec: firstToLastChunkMs > 0 ? Math.round(((users - first.users) / firstToLastChunkMs) * 1000) : null,
  };
}
