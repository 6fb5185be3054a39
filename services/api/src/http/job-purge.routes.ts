import { jobViewSchema } from '@userforge/contracts';
import { getJob, type JobDeps } from '@userforge/jobs';
import type { PurgePlan } from '@userforge/users';
import { route, type Guard, type RouteSpec } from './contract/route';
import { jobAccepted, jobPath } from './jobs.routes';

export interface JobPurgeRouteDeps {
  jobs: JobDeps;
  /** Begins (or joins) a purge in the background: the job purger worker. */
  purger: { purge(jobId: string): Promise<PurgePlan> };
  /** Guard of the routes that start or cancel work (API key, generation rate limit). */
  guard: Guard;
}

/** `DELETE /v1/jobs/{id}/users`: 202 while the purge runs in the background, 200 once nothing of the job is left. */
export function jobPurgeRoutes({ jobs, purger, guard }: JobPurgeRouteDeps): RouteSpec[] {
  return [
    route({
      method: 'delete',
      path: '/v1/jobs/:id/users',
      operationId: 'purgeJobUsers',
      tag: 'jobs',
      summary: "Purge a job's users (the job must have ended)",
      description:
        "Removes every user the job generated, in bounded batches, keeping statistics and cached pages consistent; one `user.deleted.single` event per user. Safe to repeat: a purge interrupted anywhere is finished by repeating it. Progress is the job view's `purge` field, on `GET /v1/jobs/{id}` and `GET /v1/events`.",
      guard,
      params: jobPath,
      responses: {
        200: { description: 'Nothing of the job is left (also when it was purged before): `purge.state` is `purged`.', schema: jobViewSchema },
        202: { ...jobAccepted, description: 'Purge under way in the background; `purge` in the job view reports its progress on `GET /v1/jobs/{id}` and `GET /v1/events`.' },
      },
      errors: [404, 409, 503],
      handle: async ({ params }) => {
        const plan = await purger.purge(params.id);
        const body = await getJob(jobs, params.id);
        if (plan.progress.state === 'purged') return { status: 200, body };
        return { status: 202, body, headers: { Location: `/v1/jobs/${params.id}` } };
      },
    }),
  ];
}
