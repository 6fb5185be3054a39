import type { JobView } from '@userforge/contracts';
import { StartupProgress, Teardown, createLogger, createMetricsRegistry, pingDb, runService, startOpsServer, tryPublishEvent } from '@userforge/platform';
import { connectAdapters } from './adapters';
import { loadOperatorConfig, type OperatorConfig } from './config';
import { leaderWorkers } from './controller/manager';
import { LeaderElector } from './k8s/lease';
import { createOperatorMetrics } from './metrics';

export interface RunningOperator {
  metricsPort: number;
  isLeader(): boolean;
  stop(): Promise<void>;
}

/**
 * Starts the operator: it campaigns for the lease and, while leading, runs a leader session (informer,
 * reconcile loop, publisher, scaler…). Losing the lease (another replica took it, or the API server
 * could not be reached to renew it) ends the session; winning it again starts a fresh one.
 */
export async function start(config: OperatorConfig = loadOperatorConfig(), opts: { signal?: AbortSignal } = {}): Promise<RunningOperator> {
  const logger = createLogger('operator', config.LOG_LEVEL);
  const registry = createMetricsRegistry('operator');
  const metrics = createOperatorMetrics(registry);
  const teardown = new Teardown(logger);
  // Answers first (alive, not ready: /readyz names the servers still waited for) while MongoDB and Kafka come up.
  const progress = new StartupProgress(['mongo', 'kafka']);
  let ready = () => progress.check();
  const ops = await startOpsServer({ port: config.METRICS_PORT, registry, ready: () => ready() });
  teardown.add('ops server', () => ops.close());
  try {
    const io = await connectAdapters(config, logger, teardown, { signal: opts.signal, progress }, (verb, code, seconds) =>
      metrics.kubeRequestDuration.observe({ verb, code: String(code) }, seconds),
    );
    const announce = (job: JobView) => void tryPublishEvent(io.redis, { type: 'job', job });
    let session: { ready(): boolean; stop(): Promise<void> } | undefined;
    let change = Promise.resolve();
    const lead = () => {
      const { workers, informer, queue } = leaderWorkers(config, io, announce, metrics, logger);
      metrics.show({ longestRunningMs: () => queue.longestRunningMs(), resources: () => informer.cache.values() });
      const ended = new Teardown(logger);
      ended.add('metrics view', async () => metrics.show(undefined));
      session = { ready: () => informer.synced, stop: () => ended.run() };
      return (async () => {
        for (const worker of workers) await ended.startWorker(worker);
      })();
    };
    const follow = async () => {
      const ending = session;
      session = undefined;
      await ending?.stop();
    };
    const lease = { namespace: config.LEASE_NAMESPACE, name: config.LEASE_NAME, identity: config.POD_NAME, durationSeconds: config.LEASE_DURATION_SECONDS };
    const elector = new LeaderElector(
      io.kube,
      lease,
      logger,
      () => void (change = change.then(() => (metrics.leader.set(1), lead())).catch((err: unknown) => logger.error({ err }, 'leader session failed to start'))),
      () => void (change = change.then(() => (metrics.leader.set(0), follow()))),
      () => metrics.kubeRequests.inc({ kind: 'lease', resource: 'leases' }),
    );
    teardown.add('leader lease', () => elector.stop()); // released last: after the session stopped
    teardown.add('leader session', () => change.then(follow));
    elector.start();
    ready = async () => {
      await pingDb(io.db);
      if (session && !session.ready()) throw new Error('leading, but the first list of UserGenerationJobs has not finished');
    };
    logger.info({ metricsPort: ops.port, identity: config.POD_NAME, namespace: config.WATCH_NAMESPACE ?? '(all)' }, 'operator running');
    return { metricsPort: ops.port, isLeader: () => elector.isLeader, stop: () => teardown.run() };
  } catch (err) {
    await teardown.run();
    throw err;
  }
}

if (require.main === module) {
  let running: RunningOperator | undefined;
  runService({ start: async (signal) => (running = await start(undefined, { signal })), stop: async () => running?.stop() }, createLogger('operator'));
}
