import { Router } from 'express';
import { z } from 'zod';
import { createJobRequestSchema, paginationQuerySchema } from '@userforge/contracts';
import { parseInput } from '@userforge/platform';
import { cancelJob, getJob, listJobs, startJob, type JobDeps } from '../domain/jobs';

const legacyCount = z.string().regex(/^\d{1,16}$/, 'count must be a positive whole number').transform(Number);

export function jobsRoutes(deps: JobDeps, maxCount: number): Router {
  const router = Router();
  const createSchema = createJobRequestSchema(maxCount);

  router.post('/v1/jobs', async (req, res) => {
    if (!req.is('application/json')) {
      res.status(415).json({ error: { code: 'unsupported_media_type', message: 'send the job as application/json' } });
      return;
    }
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

  router.post('/v1/jobs/:id/cancel', async (req, res) => {
    res.json(await cancelJob(deps, req.params.id));
  });

  // The original system's route, kept for its clients. POST is preferred; GET stays for old callers.
  const legacy = async (req: { params: { count: string } }, res: import('express').Response) => {
    const count = parseInput(legacyCount, req.params.count, 'count');
    const request = parseInput(createSchema, { count }, 'job');
    const job = await startJob(deps, request);
    res.status(202).location(`/v1/jobs/${job.id}`).json(job);
  };
  router.post('/v1/generate/users/random/:count', legacy);
  router.get('/v1/generate/users/random/:count', legacy);
  return router;
}
