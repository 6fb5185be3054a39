import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import {
  createUserRequestSchema,
  listUsersQuerySchema,
  recordActivityRequestSchema,
  updateUserRequestSchema,
} from '@userforge/contracts';
import { AppError, parseInput } from '@userforge/platform';
import type { PageCache } from '../data/page-cache';
import { knownTotal, listUsers, type ListDeps } from '../domain/list-users';
import {
  createUser,
  deleteUser,
  getUser,
  listActivity,
  recordActivity,
  statistics,
  updateUser,
  type UserDeps,
} from '../domain/users';

export interface UsersRouteDeps {
  list: ListDeps;
  users: UserDeps;
  cache: PageCache;
  /** Guards for mutating routes (API key, rate limit). */
  guard: RequestHandler[];
}

const activityLimit = z.object({
  limit: z.coerce.number({ error: 'limit must be a number' }).int('limit must be a whole number').min(1, 'limit must be between 1 and 100').max(100, 'limit must be between 1 and 100').default(20),
});

const requireJson: RequestHandler = (req, _res, next) => {
  if (!req.is('application/json')) {
    next(new AppError('unsupported_media_type', 'send the body as application/json', 415));
    return;
  }
  next();
};

/** A canonical cache key: the validated query with its keys in a fixed order. */
function cacheKey(query: Record<string, unknown>): string {
  return JSON.stringify(Object.keys(query).sort().map((k) => [k, query[k]]));
}

export function usersRoutes(deps: UsersRouteDeps): Router {
  const router = Router();

  const list: RequestHandler = async (req, res) => {
    const query = parseInput(listUsersQuerySchema, req.query, 'query');
    const { body, status } = await deps.cache.get(cacheKey(query), () => listUsers(deps.list, query));
    res.setHeader('X-Cache', status);
    res.type('application/json').send(body);
  };
  router.get('/v1/users', list);
  router.get('/v1/user', list); // the original route

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

  router.post('/v1/users/:id/activity', ...deps.guard, async (req, res) => {
    const body = req.body === undefined || (typeof req.body === 'object' && req.body !== null && Object.keys(req.body).length === 0) ? {} : req.body;
    const { type } = parseInput(recordActivityRequestSchema, body, 'activity');
    res.status(202).json(await recordActivity(deps.users, String(req.params.id), type, req.get('user-agent') ?? ''));
  });

  // The original route: a GET that records a visit. Kept for its clients.
  router.get('/v1/user/activity/:id', ...deps.guard, async (req, res) => {
    res.status(202).json(await recordActivity(deps.users, String(req.params.id), 'visit', req.get('user-agent') ?? ''));
  });

  return router;
}
