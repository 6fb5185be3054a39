import { MAX_JOB_COUNT } from '@userforge/contracts';
import { z } from 'zod';
import { connectionShape, env, loadConfig } from '@userforge/platform';

export const apiConfigShape = {
  ...connectionShape,
  PORT: env.port(9000),
  HOST: env.str('0.0.0.0'),
  /** Largest `count` a generation job may ask for (at most MAX_CHUNKS_PER_JOB × MAX_CHUNK_SIZE). */
  MAX_JOB_COUNT: env.int(MAX_JOB_COUNT, 1, MAX_JOB_COUNT),
  /** Partitions of the chunk topic when the API creates it (an existing topic keeps its own). */
  KAFKA_PARTITIONS: env.int(12, 1, 1000),
  /** Seconds a cached listing page lives; changes to users invalidate pages at once, this bounds the rest. 0 turns the cache off. */
  CACHE_TTL_SECONDS: env.int(30, 0, 86_400),
  /** Origins allowed by CORS (comma-separated; `*` for any). The dashboard's development origin by default. */
  CORS_ORIGINS: env.list('http://localhost:4200,http://127.0.0.1:4200'),
  /** When set, mutating routes require this value in the `x-api-key` header. */
  API_KEY: z.string().min(16, 'API_KEY must be at least 16 characters').optional(),
  /** Requests per minute per client on mutating routes (0 turns the limit off). */
  RATE_LIMIT_MUTATIONS_PER_MINUTE: env.int(600, 0, 1_000_000),
  /** Generation requests per minute per client (0 turns the limit off). */
  RATE_LIMIT_GENERATE_PER_MINUTE: env.int(30, 0, 1_000_000),
  /** Prometheus to read the dashboard's charts from; unset: the API's own live series. */
  PROMETHEUS_URL: z.string().url('PROMETHEUS_URL must be a URL').optional(),
  /** Users removed per step of a purge (`DELETE /v1/jobs/{id}/users`): one delete, one tally delta, one bulk of events. */
  PURGE_WINDOW: env.int(1000, 1, 10_000),
  /**
   * How long an idle keep-alive connection stays open. Longer than the idle timeout of the proxies in
   * front (ingress-nginx and most cloud load balancers keep upstream connections 60 s): a server that
   * closes first races the proxy's next request on that connection, which the client sees as a 502.
   */
  HTTP_KEEP_ALIVE_TIMEOUT_MS: env.int(65_000, 1_000, 600_000),
  /** Largest request body accepted. */
  BODY_LIMIT: env.str('100kb'),
};

export type ApiConfig = ReturnType<typeof loadApiConfig>;

export function loadApiConfig(source: Record<string, string | undefined> = process.env) {
  return loadConfig(apiConfigShape, source);
}
