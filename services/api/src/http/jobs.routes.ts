import { Router, type RequestHandler } from 'express';
import { createJobRequestSchema, paginationQuerySchema } from '@userforge/contracts';
import { cancelJob, getJob, listJobs, startJob, type JobDeps } from '@userforge/jobs';
import { parseInput, requireJson } from '@userforge/platform';

export interface JobsRouteDeps {
  jobs: JobDeps;
  maxCount: number;
  /** Guards of the routes that start or cancel work (API key, generation rate limit). */
  guard: RequestHandler[];
}

export function jobsRoutes({ jobs: deps, maxCount, guard }: JobsRouteDeps): Router {
  const router = Router();
  const createSchema = createJobRequestSchema(maxCount);

  router.post('/v1/jobs', ...guard, requireJson, async (req, res) => {
    const request = parseInput(createSchema, req.body, 'job');
    const job = await startJob(deps, request);
    res.status(202).location(`/v1/jobs/${job.id}`).json(job);
  });

  router.get('/v1/jobs', async (req, res) => {
    const { page, limit } = parseInput(paginationQuerySchema, { page: req.query.page, limit: req.query.limit }, 'query');
    res.json(await listJobs(deps, page, limit));
  });

  router.get('/v1/jobs/:id', async (req, res) => {
    res.json(await getJob(deps, req.params.id));
  });

  router.post('/v1/jobs/:id/cancel', ...guard, async (req, res) => {
    res.json(await cancelJob(deps, String(req.params.id)));
  });

  return router;
}
