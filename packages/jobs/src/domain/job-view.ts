import type { JobState, JobView, Locale, PurgeView } from '@userforge/contracts';
import { TERMINAL_STATES } from '@userforge/contracts';

/** A job as stored in the `jobs` collection. */
export interface JobDocument {
  _id: string;
  state: JobState;
  count: number;
  seed: number;
  chunkSize: number;
  chunksTotal: number;
  chunksPublished: number;
  chunksDone: number;
  usersStored: number;
  locale: Locale;
  seqBase: number;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  updatedAt: Date;
  error: string | null;
  /** Which API instance publishes the job's chunks, until when (so a crashed publisher is resumed). */
  lease: { owner: string; until: Date } | null;
  /** The resource that asked for the job, when one did (the operator's UserGenerationJobs). */
  origin?: JobOrigin;
  /** How far the purge of its users has got (kept apart, in `job_purges`; merged in when read). */
  purge?: JobPurgeRecord;
}

/** A purge's progress, and the window size it began with: every later attempt keeps to it, so it meets the same windows. */
export interface JobPurgeRecord extends PurgeView {
  window: number;
}

/** A Kubernetes resource a job was made for: while the job runs, it lives only as long as the resource. */
export interface JobOrigin {
  kind: 'UserGenerationJob';
  namespace: string;
  name: string;
  uid: string;
  /** Which operator made it: the namespace and label selector it watches (see operatorScope). */
  scope: string;
}

export function toJobView(job: JobDocument, now: Date = new Date()): JobView {
  const end = job.finishedAt ?? now;
  const elapsed = job.startedAt ? Math.max((end.getTime() - job.startedAt.getTime()) / 1000, 0.001) : 0;
  const usersPerSec = job.startedAt && job.usersStored > 0 ? job.usersStored / elapsed : 0;
  const remaining = job.count - job.usersStored;
  const terminal = TERMINAL_STATES.includes(job.state);
  return {
    id: job._id,
    state: job.state,
    count: job.count,
    seed: job.seed,
    chunkSize: job.chunkSize,
    locale: job.locale,
    chunksTotal: job.chunksTotal,
    chunksPublished: job.chunksPublished,
    chunksDone: job.chunksDone,
    usersStored: job.usersStored,
    usersPerSec: Math.round(usersPerSec),
    etaSeconds: terminal || usersPerSec === 0 ? null : Math.ceil(remaining / usersPerSec),
    progress: job.count === 0 ? 0 : Math.min(job.usersStored / job.count, 1),
    createdAt: job.createdAt.toISOString(),
    startedAt: job.startedAt?.toISOString() ?? null,
    finishedAt: job.finishedAt?.toISOString() ?? null,
    updatedAt: job.updatedAt.toISOString(),
    error: job.error,
    ...(job.purge ? { purge: { state: job.purge.state, deleted: job.purge.deleted, remaining: job.purge.remaining } } : {}),
  };
}
