import express, { type Express, type RequestHandler } from 'express';
import type { Registry } from 'prom-client';
import { errorHandler, httpMetricsMiddleware, notFoundHandler, type Logger } from '@userforge/platform';
import type { RouteSpec } from './http/contract/route';
import { routerFor } from './http/contract/router';

export interface AppDeps {
  logger: Logger;
  registry: Registry;
  routes: RouteSpec[];
  /** Runs before everything else: security headers, CORS. */
  front?: RequestHandler[];
  bodyLimit?: string;
}

/** Builds the Express app from its route table; no I/O happens here. */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(httpMetricsMiddleware(deps.registry));
  for (const handler of deps.front ?? []) app.use(handler);
  app.use(express.json({ limit: deps.bodyLimit ?? '100kb' }));
  app.use(routerFor(deps.routes));
  app.use(notFoundHandler);
  app.use(errorHandler(deps.logger, deps.registry));
  return app;
}
