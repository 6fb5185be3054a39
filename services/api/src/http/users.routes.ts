import { z } from 'zod';
import {
  activityAcceptedSchema,
  activityListSchema,
  createUserRequestSchema,
  listUsersQuerySchema,
  recordActivityRequestSchema,
  statsViewSchema,
  updateUserRequestSchema,
  userCountSchema,
  userIdSchema,
  userPageSchema,
  userViewSchema,
  type ListUsersQuery,
} from '@userforge/contracts';
import {
  createUser,
  deleteUser,
  getUser,
  knownTotal,
  listActivity,
  listUsers,
  recordActivity,
  statistics,
  updateUser,
  type ListDeps,
  type UserDeps,
} from '@userforge/users';
import type { PageCache } from '../data/page-cache';
import { route, type Guard, type Reply, type RouteSpec } from './contract/route';

export interface UsersRouteDeps {
  list: ListDeps;
  users: UserDeps;
  cache: PageCache;
  /** Guard of the routes that change data (API key, rate limit). */
  guard: Guard;
}

export const userPath = z.object({ id: userIdSchema }).strict();
const activityQuery = z
  .object({
    limit: z
      .string()
      .regex(/^(100|[1-9][0-9]?)$/, 'limit must be a whole number between 1 and 100')
      .transform(Number)
      .optional(),
  })
  .strict();

/** A canonical cache key: the validated query with its keys in a fixed order. */
function cacheKey(query: Record<string, unknown>): string {
  return JSON.stringify(Object.keys(query).sort().map((k) => [k, query[k]]));
}

/** A page of users through the cache (`X-Cache: HIT | MISS | BYPASS`). */
export async function listUsersReply(deps: Pick<UsersRouteDeps, 'list' | 'cache'>, query: ListUsersQuery): Promise<Reply> {
  const { body, status } = await deps.cache.get(cacheKey(query), () => listUsers(deps.list, query));
  return { status: 200, json: body, headers: { 'X-Cache': status } };
}

export const userPage = { description: 'A page of users.', schema: userPageSchema, headers: ['X-Cache' as const] };
export const activityAccepted = { description: 'Activity accepted for storage.', schema: activityAcceptedSchema };

export function usersRoutes(deps: UsersRouteDeps): RouteSpec[] {
  const { guard } = deps;
  return [
    route({
      method: 'get',
      path: '/v1/users',
      operationId: 'listUsers',
      tag: 'users',
      summary: 'List users: filter, sort, paginate',
      query: listUsersQuerySchema,
      responses: { 200: userPage },
      errors: [503],
      handle: ({ query }) => listUsersReply(deps, query),
    }),
    route({
      method: 'post',
      path: '/v1/users',
      operationId: 'createUser',
      tag: 'users',
      summary: 'Create a user',
      guard,
      body: createUserRequestSchema,
      bodyName: 'user',
      responses: { 201: { description: 'The created user.', schema: userViewSchema, headers: ['Location'] } },
      errors: [409, 503],
      handle: async ({ body }) => {
        const user = await createUser(deps.users, body);
        return { status: 201, body: user, headers: { Location: `/v1/users/${user.id}` } };
      },
    }),
    route({
      method: 'get',
      path: '/v1/users/count',
      operationId: 'countUsers',
      tag: 'users',
      summary: 'How many users match the same filters as the listing',
      query: listUsersQuerySchema,
      responses: { 200: { description: 'The total.', schema: userCountSchema } },
      errors: [503],
      handle: async ({ query }) => ({ status: 200, body: { total: knownTotal(query, await deps.list.tally.snapshot()) } }),
    }),
    route({
      method: 'get',
      path: '/v1/stats',
      operationId: 'getStats',
      tag: 'stats',
      summary: 'Counts and distributions for the dashboard',
      responses: { 200: { description: 'Statistics.', schema: statsViewSchema } },
      errors: [503],
      handle: async () => ({ status: 200, body: await statistics(deps.users) }),
    }),
    route({
      method: 'get',
      path: '/v1/users/:id',
      operationId: 'getUser',
      tag: 'users',
      summary: 'Get a user',
      params: userPath,
      responses: { 200: { description: 'The user.', schema: userViewSchema } },
      errors: [404, 503],
      handle: async ({ params }) => ({ status: 200, body: await getUser(deps.users, params.id) }),
    }),
    route({
      method: 'patch',
      path: '/v1/users/:id',
      operationId: 'updateUser',
      tag: 'users',
      summary: 'Change some fields of a user',
      guard,
      params: userPath,
      body: updateUserRequestSchema,
      bodyName: 'user',
      responses: { 200: { description: 'The updated user.', schema: userViewSchema } },
      errors: [404, 409, 503],
      handle: async ({ params, body }) => ({ status: 200, body: await updateUser(deps.users, params.id, body) }),
    }),
    route({
      method: 'delete',
      path: '/v1/users/:id',
      operationId: 'deleteUser',
      tag: 'users',
      summary: 'Delete a user',
      guard,
      params: userPath,
      responses: { 204: { description: 'Deleted.' } },
      errors: [404, 503],
      handle: async ({ params }) => {
        await deleteUser(deps.users, params.id);
        return { status: 204 };
      },
    }),
    route({
      method: 'get',
      path: '/v1/users/:id/activity',
      operationId: 'listUserActivity',
      tag: 'activity',
      summary: "A user's most recent activity, newest first",
      params: userPath,
      query: activityQuery,
      responses: { 200: { description: 'Recent activity.', schema: activityListSchema } },
      errors: [404, 503],
      handle: async ({ params, query }) => ({ status: 200, body: await listActivity(deps.users, params.id, query.limit ?? 20) }),
    }),
    route({
      method: 'post',
      path: '/v1/users/:id/activity',
      operationId: 'recordUserActivity',
      tag: 'activity',
      summary: "Record an activity of a user (device, browser and OS come from the request's User-Agent)",
      guard,
      params: userPath,
      body: recordActivityRequestSchema,
      bodyOptional: true,
      bodyName: 'activity',
      responses: { 202: activityAccepted },
      errors: [404, 503],
      handle: async ({ params, body, req }) => ({
        status: 202,
        body: await recordActivity(deps.users, params.id, body.type, req.get('user-agent') ?? ''),
      }),
    }),
  ];
}
