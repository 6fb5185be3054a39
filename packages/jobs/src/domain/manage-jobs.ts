import { isObjectIdHex, MAX_JOB_COUNT, type CreateJobRequest, type JobView, type PaginatedData } from '@userforge/contracts';
import { AppError, isDuplicateKey } from '@userforge/platform';
import type { JobRepository } from '../data/job.repository';
import { createJob } from './create-job';
import { toJobView, type JobOrigin } from './job-view';

export interface JobDeps {
  jobs: JobRepository;
  /** Publishes the job's chunks in the background (the job publisher worker). */
  publisher: { schedule(jobId: string): void };
  onProgress: (job: JobView) => void;
}

function assertJobId(id: string): void {
  if (!isObjectIdHex(id)) throw AppError.badRequest(`job id must be 24 hexadecimal characters, got "${id.slice(0, 40)}"`, undefined, 'invalid_id');
}

export interface StartJobOptions {
  /** The job's id, chosen by the caller (the operator's comes from the resource's uid): starting again finds the same job. */
  id?: string;
  /** The most users this process accepts in a job (its MAX_JOB_COUNT setting). */
  maxCount?: number;
  /** The resource the job is made for (see JobRepository.activeOf). */
  origin?: JobOrigin;
}

export interface StartedJob {
  job: JobView;
  /** False when a job with this id already existed: it is returned, and its publishing resumed. */
  created: boolean;
}

/**
 * Starts a job: the one use case behind `POST /v1/jobs`, the original generate route and the
 * operator's reconcile. Create-or-return by id: a retried start (a crashed reconcile, a second
 * operator) gets the job the first one made, never a second one.
 */
export async function startJob(deps: JobDeps, request: CreateJobRequest, opts: StartJobOptions = {}): Promise<StartedJob> {
  const maxCount = opts.maxCount ?? MAX_JOB_COUNT;
  if (request.count > maxCount) throw AppError.badRequest(`count must be at most ${maxCount}`, undefined, 'count_above_limit');
  let job;
  let created = true;
  try {
    job = await createJob(deps.jobs, request, new Date(), opts.id, opts.origin);
  } catch (err) {
    if (!opts.id || !isDuplicateKey(err)) throw err;
    created = false;
    job = await deps.jobs.findById(opts.id);
    if (!job) throw new Error(`job ${opts.id} was started by someone else and then vanished`);
  }
  const view = toJobView(job);
  deps.onProgress(view);
  deps.publisher.schedule(job._id);
  return { job: view, created };
}

export async function getJob(deps: Pick<JobDeps, 'jobs'>, id: string): Promise<JobView> {
  assertJobId(id);
  const job = await deps.jobs.findById(id);
  if (!job) throw AppError.notFound(`job ${id} not found`);
  return toJobView(job);
}

export async function listJobs(deps: Pick<JobDeps, 'jobs'>, page: number, limit: number): Promise<PaginatedData<JobView>> {
  const { jobs, total } = await deps.jobs.list(page, limit);
  const now = new Date();
  return { data: jobs.map((j) => toJobView(j, now)), page, limit, total, next: page * limit < total ? String(page + 1) : null };
}

export async function cancelJob(deps: JobDeps, id: string): Promise<JobView> {
  assertJobId(id);
  const cancelled = await deps.jobs.cancel(id, new Date());
  if (cancelled) {
    const view = toJobView(cancelled);
    deps.onProgress(view);
    return view;
  }
  const job = await deps.jobs.findById(id);
  if (!job) throw AppError.notFound(`job ${id} not found`);
  throw new AppError('job_finished', `job ${id} is already ${job.state}`, 409);
}

/**
 * Pauses a job's publishing: the one use case behind a suspended UserGenerationJob and
 * `POST /v1/jobs/{id}/pause`. Chunks already on Kafka are still stored; the publisher stops at its
 * next batch. Pausing a paused job returns it. A `running` job has every chunk published, nothing
 * left to pause: 409, as for an ended one.
 */
export async function pauseJob(deps: JobDeps, id: string): Promise<JobView> {
  assertJobId(id);
  const paused = await deps.jobs.pause(id, new Date());
  if (paused) {
    const view = toJobView(paused);
    deps.onProgress(view);
    return view;
  }
  throw await notPausable(deps, id, 'paused');
}

/** Resumes a paused job's publishing from where it stopped. Resuming a job that is publishing returns it. */
export async function resumeJob(deps: JobDeps, id: string): Promise<JobView> {
  assertJobId(id);
  const resumed = await deps.jobs.resume(id, new Date());
  if (resumed) {
    deps.publisher.schedule(resumed._id);
    const view = toJobView(resumed);
    deps.onProgress(view);
    return view;
  }
  throw await notPausable(deps, id, 'resumed');
}

async function notPausable(deps: Pick<JobDeps, 'jobs'>, id: string, what: 'paused' | 'resumed'): Promise<AppError> {
  const job = await deps.jobs.findById(id);
  if (!job) return AppError.notFound(`job ${id} not found`);
  return new AppError('job_not_publishing', `job ${id} is ${job.state}: only a job still publishing its chunks can be ${what}`, 409);
}
