import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { env, loadConfig } from '@userforge/platform';

export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..', '..');

/** A release number such as `1.33.13`; a leading `v` is accepted and dropped. */
const version = (fallback: string) =>
  z
    .string()
    .regex(/^v?\d+\.\d+\.\d+$/, 'expected a release number such as 1.33.13')
    .default(fallback)
    .transform((v) => v.replace(/^v/, ''));

export const stackShape = {
  /** Data, logs and pid files of the running stack. */
  USERFORGE_STACK_DIR: env.str(path.join(REPO_ROOT, '.stack')),
  /** Downloaded and built artefacts (Kafka jars, the FerretDB binary), shared by every checkout. */
  USERFORGE_CACHE_DIR: env.str(path.join(os.homedir(), '.cache', 'userforge')),
  /**
   * Which servers this stack runs (for example without Kafka when you bring your own). `kube`
   * (etcd, kube-apiserver, kube-controller-manager) is not in the default: it needs a long one-time build.
   */
  USERFORGE_STACK_SERVERS: env
    .list('mongo,redis,kafka,prometheus')
    .pipe(z.array(z.enum(['mongo', 'redis', 'kafka', 'prometheus', 'kube'])).min(1)),
  USERFORGE_KAFKA_PORT: env.port(9092),
  USERFORGE_KAFKA_CONTROLLER_PORT: env.port(9093),
  USERFORGE_KAFKA_PARTITIONS: env.int(12, 1, 1000),
  USERFORGE_MONGO_PORT: env.port(27017),
  /** FerretDB's storage: PostgreSQL scales with concurrent writers, SQLite has one (see docs/local-stack.md). */
  USERFORGE_MONGO_BACKEND: z.enum(['pg', 'sqlite']).default('pg'),
  USERFORGE_POSTGRES_PORT: env.port(5433),
  /** Documents FerretDB writes per SQL statement and transaction (its own default is 100). */
  USERFORGE_FERRETDB_BATCH_SIZE: env.int(5000, 1, 100_000),
  /** Go garbage-collector target of FerretDB (Go's default is 100); higher trades memory for CPU. */
  USERFORGE_FERRETDB_GOGC: env.int(400, 10, 10_000),
  USERFORGE_REDIS_PORT: env.port(6379),
  USERFORGE_PROMETHEUS_PORT: env.port(9090),
  /** Prometheus built from its Go module for the Prometheus Operator on kind (Debian's lacks Kubernetes discovery). */
  USERFORGE_PROMETHEUS_KUBERNETES_VERSION: version('2.54.1'),
  USERFORGE_API_PORT: env.port(9000),
  /** The dashboard's development server (`npm start dashboard`, `stack:up --apps`). */
  USERFORGE_DASHBOARD_PORT: env.port(4200),
  /** Generation consumers started by `stack:up --apps`; instance i serves metrics on the base port + i. */
  USERFORGE_CONSUMERS: env.int(2, 1, 32),
  USERFORGE_CONSUMER_METRICS_PORT: env.port(9101),
  /** The operator's /metrics, /healthz, /readyz (`stack:up --apps --kube`, `npm start operator`). */
  USERFORGE_OPERATOR_METRICS_PORT: env.port(9300),
  /** Kubernetes release the `kube` servers are built from (Go module proxy), and the patch used when the proxy refuses it. */
  USERFORGE_KUBERNETES_VERSION: version('1.33.13'),
  USERFORGE_KUBERNETES_FALLBACK_VERSION: version('1.33.12'),
  /** Helm 3 built from its Go module; 3.18 is built on the same Kubernetes 1.33 client libraries. */
  USERFORGE_HELM_VERSION: version('3.18.6'),
  /** helm-docs (the chart README's values table, `npm run chart:docs`) and Skaffold (`skaffold dev` on kind), built from their Go modules. */
  USERFORGE_HELM_DOCS_VERSION: version('1.14.2'),
  USERFORGE_SKAFFOLD_VERSION: version('2.16.1'),
  USERFORGE_ETCD_PORT: env.port(2379),
  USERFORGE_ETCD_PEER_PORT: env.port(2380),
  USERFORGE_KUBE_APISERVER_PORT: env.port(6443),
  USERFORGE_KUBE_CONTROLLER_MANAGER_PORT: env.port(10257),
  /** kube-controller-manager's `--controllers` (`*` is every controller that is on by default). */
  USERFORGE_KUBE_CONTROLLERS: env.str('*'),
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
    /** What a user of the `kube` servers needs, such as the admin kubeconfig. */
    kube: path.join(root, 'kube'),
  };
}
