import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import {
  createUserRequestSchema,
  listUsersQuerySchema,
  recordActivityRequestSchema,
  updateUserRequestSchema,
} from '@userforge/contracts';
import { parseInput, requireJson } from '@userforge/platform';
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

export interface UsersRouteDeps {
  list: ListDeps;
  users: UserDeps;
  cache: PageCache;
  /** Guards of the mutating routes (API key, rate limit). */
  guard: RequestHandler[];
}

const activityLimit = z.object({
  limit: z.coerce.number({ error: 'limit must be a number' }).int('limit must be a whole number').min(1, 'limit must be between 1 and 100').max(100, 'limit must be between 1 and 100').default(20),
});

/** A canonical cache key: the validated query with its keys in a fixed order. */
function cacheKey(query: Record<string, unknown>): string {
  return JSON.stringify(Object.keys(query).sort().map((k) => [k, query[k]]));
}

/** A page of users through the cache (`X-Cache: HIT | MISS | BYPASS`). */
export function listUsersHandler(deps: Pick<UsersRouteDeps, 'list' | 'cache'>): RequestHandler {
  return async (req, res) => {
    const query = parseInput(listUsersQuerySchema, req.query, 'query');
    const { body, status } = await deps.cache.get(cacheKey(query), () => listUsers(deps.list, query));
    res.setHeader('X-Cache', status);
    res.type('application/json').send(body);
  };
}

/** Records an activity of the user and answers 202 (it is stored by the consumers). */
export function recordActivityHandler(deps: Pick<UsersRouteDeps, 'users'>, type: (body: unknown) => string): RequestHandler {
  return async (req, res) => {
    res.status(202).json(await recordActivity(deps.users, String(req.params.id), type(req.body), req.get('user-agent') ?? ''));
  };
}

export function usersRoutes(deps: UsersRouteDeps): Router {
  const router = Router();
  router.get('/v1/users', listUsersHandler(deps));

  // The total alone (same filters as the listing; null when a combination cannot be counted cheaply).
  router.get('/v1/users/count', async (req, res) => {
    const query = parseInput(listUsersQuerySchema, req.query, 'query');
    res.json({ total: knownTotal(query, await deps.list.tally.snapshot()) });
  });

  router.get('/v1/stats', async (_req, res) => {
    res.json(await statistics(deps.users));
  });

  router.get('/v1/users/:id', async (req, res) => {
    res.json(await getUser(deps.users, String(req.params.id)));
  });

  router.post('/v1/users', ...deps.guard, requireJson, async (req, res) => {
    const user = await createUser(deps.users, parseInput(createUserRequestSchema, req.body, 'user'));
    res.status(201).location(`/v1/users/${user.id}`).json(user);
  });

  router.patch('/v1/users/:id', ...deps.guard, requireJson, async (req, res) => {
    const changes = parseInput(updateUserRequestSchema, req.body, 'user');
    res.json(await updateUser(deps.users, String(req.params.id), changes));
  });

  router.delete('/v1/users/:id', ...deps.guard, async (req, res) => {
    await deleteUser(deps.users, String(req.params.id));
    res.status(204).end();
  });

  router.get('/v1/users/:id/activity', async (req, res) => {
    const { limit } = parseInput(activityLimit, { limit: req.query.limit }, 'query');
    res.json(await listActivity(deps.users, String(req.params.id), limit));
  });

  router.post(
    '/v1/users/:id/activity',
    ...deps.guard,
    recordActivityHandler(deps, (raw) => {
      const body = raw === undefined || (typeof raw === 'object' && raw !== null && Object.keys(raw).length === 0) ? {} : raw;
      return parseInput(recordActivityRequestSchema, body, 'activity').type;
    }),
  );
  return router;
}
