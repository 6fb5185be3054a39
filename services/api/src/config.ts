import { MAX_JOB_COUNT } from '@userforge/jobs';
import { connectionShape, env, loadConfig } from '@userforge/platform';

export const apiConfigShape = {
  ...connectionShape,
  PORT: env.port(9000),
  HOST: env.str('0.0.0.0'),
  /** Largest `count` a generation job may ask for (at most MAX_CHUNKS_PER_JOB × MAX_CHUNK_SIZE). */
  MAX_JOB_COUNT: env.int(MAX_JOB_COUNT, 1, MAX_JOB_COUNT),
  /** Partitions of the chunk topic when the API creates it (an existing topic keeps its own). */
  KAFKA_PARTITIONS: env.int(12, 1, 1000),
};

export type ApiConfig = ReturnType<typeof loadApiConfig>;

export function loadApiConfig(source: Record<string, string | undefined> = process.env) {
  return loadConfig(apiConfigShape, source);
}
