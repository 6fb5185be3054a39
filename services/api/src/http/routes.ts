import type { Router } from 'express';
import type { JobView, PlatformEvent } from '@userforge/contracts';
import type { JobDeps } from '@userforge/jobs';
import type { UserDeps, ListDeps } from '@userforge/users';
import type { ApiConfig } from '../config';
import type { PageCache } from '../data/page-cache';
import type { EventHub } from '../event-hub';
import type { LiveSeries } from '../workers/live-sampler';
import { eventsRoutes } from './events.routes';
import { jobsRoutes } from './jobs.routes';
import { legacyRoutes } from './legacy.routes';
import { buildOpenApiDocument, openapiRoutes } from './openapi';
import { rateLimit, requireApiKey } from './security';
import { seriesRoutes } from './series.routes';
import { usersRoutes } from './users.routes';

export interface RouteDeps {
  config: ApiConfig;
  jobs: JobDeps;
  list: ListDeps;
  users: UserDeps;
  cache: PageCache;
  hub: EventHub;
  live: LiveSeries;
  activeJobs: () => Promise<JobView[]>;
}

/** Every router of the API, each with the guards (API key, rate limits) of the routes it holds. */
export function apiRoutes(deps: RouteDeps): Router[] {
  const { config } = deps;
  const apiKey = requireApiKey(config.API_KEY);
  const generateGuard = [apiKey, rateLimit({ windowMs: 60_000, max: config.RATE_LIMIT_GENERATE_PER_MINUTE, name: 'generate' })];
  const mutationGuard = [apiKey, rateLimit({ windowMs: 60_000, max: config.RATE_LIMIT_MUTATIONS_PER_MINUTE, name: 'write' })];
  const jobs = { jobs: deps.jobs, maxCount: config.MAX_JOB_COUNT, guard: generateGuard };
  const users = { list: deps.list, users: deps.users, cache: deps.cache, guard: mutationGuard };
  const snapshot = async (): Promise<PlatformEvent[]> => (await deps.activeJobs()).map((job) => ({ type: 'job', job }));
  return [
    openapiRoutes(buildOpenApiDocument({ maxJobCount: config.MAX_JOB_COUNT, version: '0.1.0' })),
    legacyRoutes({ users, jobs }),
    jobsRoutes(jobs),
    seriesRoutes(deps.live, config.PROMETHEUS_URL),
    usersRoutes(users),
    eventsRoutes(deps.hub, snapshot),
  ];
}
