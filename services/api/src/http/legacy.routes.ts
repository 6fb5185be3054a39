import { Router, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import { createJobRequestSchema } from '@userforge/contracts';
import { startJob } from '@userforge/jobs';
import { parseInput } from '@userforge/platform';
import type { JobsRouteDeps } from './jobs.routes';
import { listUsersHandler, recordActivityHandler, type UsersRouteDeps } from './users.routes';

const legacyCount = z.string().regex(/^\d{1,16}$/, 'count must be a positive whole number').transform(Number);

export interface LegacyRouteDeps {
  users: UsersRouteDeps;
  jobs: JobsRouteDeps;
}

/**
 * The original system's routes that are kept for its clients, each served by the same handlers as
 * its `/v1/users…` or `/v1/jobs` successor: the user listing, a GET that records a visit, and
 * generation by count in the path (POST preferred; GET stays for old callers).
 */
export function legacyRoutes(deps: LegacyRouteDeps): Router {
  const router = Router();
  router.get('/v1/user', listUsersHandler(deps.users));
  router.get('/v1/user/activity/:id', ...deps.users.guard, recordActivityHandler(deps.users, () => 'visit'));

  const createSchema = createJobRequestSchema(deps.jobs.maxCount);
  const generate: RequestHandler = async (req, res: Response) => {
    const count = parseInput(legacyCount, req.params.count, 'count');
    const job = await startJob(deps.jobs.jobs, parseInput(createSchema, { count }, 'job'));
    res.status(202).location(`/v1/jobs/${job.id}`).json(job);
  };
  router.post('/v1/generate/users/random/:count', ...deps.jobs.guard, generate);
  router.get('/v1/generate/users/random/:count', ...deps.jobs.guard, generate);
  return router;
}
