import express, { type Express, type RequestHandler, type Router } from 'express';
import type { Registry } from 'prom-client';
import { errorHandler, httpMetricsMiddleware, metricsHandler, notFoundHandler, type Logger } from '@userforge/platform';
import { healthRoutes, type Check } from './http/health.routes';

export interface AppDeps {
  logger: Logger;
  registry: Registry;
  checks: Record<string, Check>;
  routers: Router[];
  /** Runs before everything else: security headers, CORS. */
  front?: RequestHandler[];
  bodyLimit?: string;
}

/** Builds the Express app from its dependencies; no I/O happens here. */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(httpMetricsMiddleware(deps.registry));
  for (const handler of deps.front ?? []) app.use(handler);
  app.use(express.json({ limit: deps.bodyLimit ?? '100kb' }));
  app.use(healthRoutes(deps.checks));
  app.get('/metrics', metricsHandler(deps.registry));
  for (const router of deps.routers) app.use(router);
  app.use(notFoundHandler);
  app.use(errorHandler(deps.logger, deps.registry));
  return app;
}
