import type { Registry } from 'prom-client';
import type { JobView, PlatformEvent } from '@userforge/contracts';
import type { JobDeps } from '@userforge/jobs';
import type { ExportDeps, ListDeps, UserDeps } from '@userforge/users';
import type { ApiConfig } from '../config';
import type { PageCache } from '../data/page-cache';
import type { EventHub } from '../event-hub';
import type { LiveSeries } from '../workers/live-sampler';
import { openApiDocument } from './contract/openapi';
import type { Guard, RouteSpec } from './contract/route';
import { eventsRoutes } from './events.routes';
import { healthRoutes, type Check } from './health.routes';
import { jobUsersRoutes } from './job-users.routes';
import { jobPurgeRoutes, type JobPurgeRouteDeps } from './job-purge.routes';
import { jobsRoutes } from './jobs.routes';
import { legacyRoutes } from './legacy.routes';
import { rateLimit, requireApiKey } from './security';
import { seriesRoutes } from './series.routes';
import { usersRoutes } from './users.routes';

export interface RouteDeps {
  config: ApiConfig;
  registry: Registry;
  checks: Record<string, Check>;
  jobs: JobDeps;
  purger: JobPurgeRouteDeps['purger'];
  list: ListDeps;
  users: UserDeps;
  /** A job's users export. */
  exporting: ExportDeps;
  cache: PageCache;
  hub: EventHub;
  live: LiveSeries;
  activeJobs: () => Promise<JobView[]>;
}

export const API_VERSION = '0.1.0';

function guard(config: ApiConfig, name: 'generate' | 'write', max: number): Guard {
  const limiter = rateLimit({ windowMs: 60_000, max, name });
  return { handlers: [requireApiKey(config.API_KEY), limiter], apiKey: config.API_KEY !== undefined, rateLimited: max > 0 };
}

/** The API's whole route table: every operation once, with the guards (API key, rate limits) of the routes that change data. */
export function apiRoutes(deps: RouteDeps): RouteSpec[] {
  const { config } = deps;
  const jobs = { jobs: deps.jobs, maxCount: config.MAX_JOB_COUNT, guard: guard(config, 'generate', config.RATE_LIMIT_GENERATE_PER_MINUTE) };
  const users = { list: deps.list, users: deps.users, cache: deps.cache, guard: guard(config, 'write', config.RATE_LIMIT_MUTATIONS_PER_MINUTE) };
  const snapshot = async (): Promise<PlatformEvent[]> => (await deps.activeJobs()).map((job) => ({ type: 'job', job }));
  let document: object | undefined;
  const routes: RouteSpec[] = [
    ...healthRoutes(deps.checks, deps.registry, () => (document ??= openApiDocument(routes, { version: API_VERSION, apiKey: config.API_KEY !== undefined }))),
    ...legacyRoutes({ users, jobs }),
    ...jobsRoutes(jobs),
    ...jobUsersRoutes(deps.exporting),
    ...jobPurgeRoutes({ ...jobs, purger: deps.purger }),
    ...seriesRoutes(deps.live, config.PROMETHEUS_URL),
    ...usersRoutes(users),
    ...eventsRoutes(deps.hub, snapshot),
  ];
  return routes;
}
