import { randomInt } from 'node:crypto';
import type { CreateJobRequest } from '@userforge/contracts';
import { newObjectIdHex } from '@userforge/platform';
import type { JobRepository } from '../data/job.repository';
import type { JobDocument, JobOrigin } from './job-view';
import { planJob } from './plan';

/**
 * Creates a job record, ready to publish. The HTTP API and the Kubernetes operator both call this,
 * then `publishJob`. A job reserves its users' global sequence numbers up front, which is what
 * makes every user's `_id` and email unique by construction.
 */
export async function createJob(
  jobs: JobRepository,
  request: CreateJobRequest,
  now: Date = new Date(),
  /** A caller-chosen id (24 hex), so a retried creation finds the job it made; a new one by default. */
  id: string = newObjectIdHex(),
  origin?: JobOrigin,
): Promise<JobDocument> {
  const plan = planJob(request.count, request.chunkSize);
  const seqBase = await jobs.reserveSequence(plan.count);
  const job: JobDocument = {
    _id: id,
    state: 'publishing',
    count: plan.count,
    seed: request.seed ?? randomInt(0, 2 ** 32 - 1),
    chunkSize: plan.chunkSize,
    chunksTotal: plan.chunksTotal,
    chunksPublished: 0,
    chunksDone: 0,
    usersStored: 0,
    locale: request.locale ?? 'en',
    seqBase,
    createdAt: now,
    startedAt: now,
    finishedAt: null,
    updatedAt: now,
    error: null,
    lease: null,
    ...(origin ? { origin } : {}),
  };
  await jobs.insert(job);
  return job;
}
