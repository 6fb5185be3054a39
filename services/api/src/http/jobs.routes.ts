import { z } from 'zod';
import { createJobRequestSchema, jobPageSchema, jobViewSchema, paginationQuerySchema, userIdSchema } from '@userforge/contracts';
import { cancelJob, getJob, listJobs, pauseJob, resumeJob, startJob, type JobDeps } from '@userforge/jobs';
import { route, type Guard, type RouteSpec } from './contract/route';

export interface JobsRouteDeps {
  jobs: JobDeps;
  maxCount: number;
  /** Guard of the routes that start or cancel work (API key, generation rate limit). */
  guard: Guard;
}

export const jobPath = z.object({ id: userIdSchema.describe('Job id') }).strict();

export const jobAccepted = {
  description: 'Job accepted; progress is reported on `GET /v1/jobs/{id}` and `GET /v1/events`.',
  schema: jobViewSchema,
  headers: ['Location' as const],
};

export function jobsRoutes({ jobs: deps, maxCount, guard }: JobsRouteDeps): RouteSpec[] {
  /** `POST /v1/jobs/{id}/<verb>`: a job use case answering with the job view (404 unknown, 409 not possible in its state). */
  const jobAction = (verb: 'cancel' | 'pause' | 'resume', summary: string, answer: string, act: (deps: JobDeps, id: string) => Promise<z.infer<typeof jobViewSchema>>) =>
    route({
      method: 'post',
      path: `/v1/jobs/:id/${verb}`,
      operationId: `${verb}Job`,
      tag: 'jobs',
      summary,
      guard,
      params: jobPath,
      responses: { 200: { description: answer, schema: jobViewSchema } },
      errors: [404, 409, 503],
      handle: async ({ params }) => ({ status: 200, body: await act(deps, params.id) }),
    });
  return [
    route({
      method: 'post',
      path: '/v1/jobs',
      operationId: 'createJob',
      tag: 'jobs',
      summary: 'Start a user generation job',
      guard,
      body: createJobRequestSchema(maxCount),
      bodyName: 'job',
      responses: { 202: jobAccepted },
      errors: [503],
      handle: async ({ body }) => {
        const { job } = await startJob(deps, body, { maxCount });
        return { status: 202, body: job, headers: { Location: `/v1/jobs/${job.id}` } };
      },
    }),
    route({
      method: 'get',
      path: '/v1/jobs',
      operationId: 'listJobs',
      tag: 'jobs',
      summary: 'List jobs, newest first',
      query: paginationQuerySchema,
      responses: { 200: { description: 'A page of jobs.', schema: jobPageSchema } },
      errors: [503],
      handle: async ({ query }) => ({ status: 200, body: await listJobs(deps, query.page, query.limit) }),
    }),
    route({
      method: 'get',
      path: '/v1/jobs/:id',
      operationId: 'getJob',
      tag: 'jobs',
      summary: 'Get a job',
      params: jobPath,
      responses: { 200: { description: 'The job.', schema: jobViewSchema } },
      errors: [404, 503],
      handle: async ({ params }) => ({ status: 200, body: await getJob(deps, params.id) }),
    }),
    jobAction('cancel', 'Cancel a job that has not finished', 'The cancelled job.', cancelJob),
    jobAction('pause', 'Pause publishing a job (chunks already published are still stored)', 'The paused job (also when it was paused already).', pauseJob),
    jobAction('resume', 'Resume publishing a paused job from where it stopped', 'The job, publishing again (also when it was not paused).', resumeJob),
  ];
}
