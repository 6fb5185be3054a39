import { isObjectIdHex, type CreateJobRequest, type JobView, type PaginatedData } from '@userforge/contracts';
import { AppError } from '@userforge/platform';
import type { JobRepository } from '../data/job.repository';
import { createJob } from './create-job';
import { toJobView } from './job-view';

export interface JobDeps {
  jobs: JobRepository;
  /** Publishes the job's chunks in the background (the job publisher worker). */
  publisher: { schedule(jobId: string): void };
  onProgress: (job: JobView) => void;
}

function assertJobId(id: string): void {
  if (!isObjectIdHex(id)) throw AppError.badRequest(`job id must be 24 hexadecimal characters, got "${id.slice(0, 40)}"`, undefined, 'invalid_id');
}

export async function startJob(deps: JobDeps, request: CreateJobRequest): Promise<JobView> {
  const job = await createJob(deps.jobs, request);
  const view = toJobView(job);
  deps.onProgress(view);
  deps.publisher.schedule(job._id);
  return view;
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
