import { Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export const METRIC_PREFIX = 'userforge_';

/** A registry per process with Node's default metrics, labelled with the app name. */
export function createMetricsRegistry(app: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ app });
  collectDefaultMetrics({ register: registry, prefix: METRIC_PREFIX });
  return registry;
}

export function createHttpDurationHistogram(registry: Registry): Histogram<'method' | 'route' | 'status_code'> {
  return new Histogram({
    name: `${METRIC_PREFIX}http_request_duration_seconds`,
    help: 'HTTP request duration by method, matched route and status code.',
    labelNames: ['method', 'route', 'status_code'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
}
