import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { env, loadConfig } from '@userforge/platform';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');

export const stackShape = {
  /** Data, logs and pid files of the running stack. */
  USERFORGE_STACK_DIR: env.str(path.join(REPO_ROOT, '.stack')),
  /** Downloaded and built artefacts (Kafka jars, the FerretDB binary), shared by every checkout. */
  USERFORGE_CACHE_DIR: env.str(path.join(os.homedir(), '.cache', 'userforge')),
  /** Which servers this stack runs (for example without Kafka when you bring your own). */
  USERFORGE_STACK_SERVERS: env
    .list('mongo,redis,kafka,prometheus')
    .pipe(z.array(z.enum(['mongo', 'redis', 'kafka', 'prometheus'])).min(1)),
  USERFORGE_KAFKA_PORT: env.port(9092),
  USERFORGE_KAFKA_CONTROLLER_PORT: env.port(9093),
  USERFORGE_KAFKA_PARTITIONS: env.int(12, 1, 1000),
  USERFORGE_MONGO_PORT: env.port(27017),
  /** FerretDB's storage: PostgreSQL scales with concurrent writers, SQLite has one (see README). */
  USERFORGE_MONGO_BACKEND: z.enum(['pg', 'sqlite']).default('pg'),
  USERFORGE_POSTGRES_PORT: env.port(5433),
  /** Documents FerretDB writes per SQL statement and transaction (its own default is 100). */
  USERFORGE_FERRETDB_BATCH_SIZE: env.int(5000, 1, 100_000),
  /** Go garbage-collector target of FerretDB (Go's default is 100); higher trades memory for CPU. */
  USERFORGE_FERRETDB_GOGC: env.int(400, 10, 10_000),
  USERFORGE_REDIS_PORT: env.port(6379),
  USERFORGE_PROMETHEUS_PORT: env.port(9090),
  USERFORGE_API_PORT: env.port(9000),
  /** The dashboard's development server (`npm start dashboard`, `stack:up --apps`). */
  USERFORGE_DASHBOARD_PORT: env.port(4200),
  /** Generation consumers started by `stack:up --apps`; instance i serves metrics on the base port + i. */
  USERFORGE_CONSUMERS: env.int(2, 1, 32),
  USERFORGE_CONSUMER_METRICS_PORT: env.port(9101),
};

export type StackSettings = ReturnType<typeof loadStackSettings>;

export function loadStackSettings(source: Record<string, string | undefined> = process.env) {
  return loadConfig(stackShape, source);
}

export function stackPaths(s: StackSettings) {
  const root = s.USERFORGE_STACK_DIR;
  return {
    root,
    logs: path.join(root, 'logs'),
    run: path.join(root, 'run'),
    data: path.join(root, 'data'),
    conf: path.join(root, 'conf'),
  };
}
