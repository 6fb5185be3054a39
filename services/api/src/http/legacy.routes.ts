import { z } from 'zod';
import { listUsersQuerySchema, userIdSchema, wholeNumberPattern } from '@userforge/contracts';
import { recordActivity } from '@userforge/users';
import { startJob } from '@userforge/jobs';
import { route, type RouteSpec } from './contract/route';
import { jobAccepted, type JobsRouteDeps } from './jobs.routes';
import { activityAccepted, listUsersReply, userPage, type UsersRouteDeps } from './users.routes';

export interface LegacyRouteDeps {
  users: UsersRouteDeps;
  jobs: JobsRouteDeps;
}

/** RFC 9745: deprecated since 2026-01-01, replaced by `POST /v1/jobs`. */
const DEPRECATED = { Deprecation: '@1767225600', Link: '</v1/jobs>; rel="successor-version"' };

/**
 * The original system's routes that are kept for its clients (docs/api.md: "The original system's
 * routes"), each served by the same domain call as its `/v1/users…` or `/v1/jobs` successor.
 */
export function legacyRoutes(deps: LegacyRouteDeps): RouteSpec[] {
  const countPath = z
    .object({
      count: z
        .string()
        .regex(wholeNumberPattern(deps.jobs.maxCount), `count must be a whole number from 1 to ${deps.jobs.maxCount}`)
        .transform(Number),
    })
    .strict();
  const generate = (method: 'get' | 'post') =>
    route({
      method,
      path: '/v1/generate/users/random/:count',
      operationId: method === 'post' ? 'generateUsers' : 'generateUsersLegacy',
      tag: 'jobs',
      summary: method === 'post' ? 'Start a generation job for `count` users (the original route; prefer POST /v1/jobs)' : 'Start a generation job (the original GET)',
      ...(method === 'get' ? { deprecated: true, description: 'Kept for old clients; use `POST /v1/jobs`.' } : {}),
      guard: deps.jobs.guard,
      params: countPath,
      responses: { 202: { ...jobAccepted, headers: method === 'get' ? ['Location' as const, 'Deprecation' as const, 'Link' as const] : jobAccepted.headers } },
      errors: [503],
      handle: async ({ params }) => {
        const { job } = await startJob(deps.jobs.jobs, { count: params.count }, { maxCount: deps.jobs.maxCount });
        return { status: 202, body: job, headers: { Location: `/v1/jobs/${job.id}`, ...(method === 'get' ? DEPRECATED : {}) } };
      },
    });
  return [
    route({
      method: 'get',
      path: '/v1/user',
      operationId: 'listUsersLegacy',
      tag: 'users',
      summary: 'List users (the original route; same as GET /v1/users)',
      query: listUsersQuerySchema,
      responses: { 200: userPage },
      errors: [503],
      handle: ({ query }) => listUsersReply(deps.users, query),
    }),
    route({
      method: 'get',
      path: '/v1/user/activity/:id',
      operationId: 'recordUserVisitLegacy',
      tag: 'activity',
      summary: 'Record a `visit` activity (the original GET; it changes state)',
      guard: deps.users.guard,
      params: z.object({ id: userIdSchema }).strict(),
      responses: { 202: activityAccepted },
      errors: [404, 503],
      handle: async ({ params, req }) => ({ status: 202, body: await recordActivity(deps.users.users, params.id, 'visit', req.get('user-agent') ?? '') }),
    }),
    generate('post'),
    generate('get'),
  ];
}
