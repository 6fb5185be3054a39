import type { JobView } from '@userforge/contracts';
import { setTimeout as delay } from 'node:timers/promises';
import { StartAborted, StartupProgress, backoffMs, Teardown, createLogger, createMetricsRegistry, pingDb, runService, startOpsServer, tryPublishEvent } from '@userforge/platform';
import { connectKube, connectServers, type ServerAdapters } from './adapters';
import { loadOperatorConfig, type OperatorConfig } from './config';
import { leaderWorkers } from './controller/manager';
import { LeaderElector } from './k8s/lease';
import { createOperatorMetrics } from './metrics';

/** A failed connection (not a server out of reach: that is waited for) is tried again after 1 s, 2 s, … at most 60 s. */
const SERVERS_BACKOFF = { minMs: 1_000, maxMs: 60_000 };

export interface RunningOperator {
  metricsPort: number;
  isLeader(): boolean;
  stop(): Promise<void>;
}

/**
 * Starts the operator: it campaigns for the lease and, while leading, runs a leader session (informer,
 * reconcile loop, scaler…). Losing the lease (another replica took it, or the API server could not be
 * reached to renew it) ends the session; winning it again starts a fresh one. MongoDB, Kafka and
 * Redis are connected in the background: until they answer the operator leads and watches, lets
 * deleted resources go (Retain; Delete ones wait to purge their users) and is not Ready (/readyz names the servers waited for); the workers that need
 * them (the job publisher, the orphan sweep) start once they are reached, without a restart.
 */
export async function start(config: OperatorConfig = loadOperatorConfig(), opts: { signal?: AbortSignal } = {}): Promise<RunningOperator> {
  const logger = createLogger('operator', config.LOG_LEVEL);
  const registry = createMetricsRegistry('operator');
  const metrics = createOperatorMetrics(registry);
  const teardown = new Teardown(logger);
  const progress = new StartupProgress(['mongo', 'kafka']);
  let servers: ServerAdapters | undefined;
  let serversFailed: Error | undefined;
  const ready = async () => {
    if (serversFailed) throw serversFailed;
    if (!servers) return progress.check();
    await pingDb(servers.db);
    if (session && !session.ready()) throw new Error('leading, but the first list of UserGenerationJobs has not finished');
  };
  let session: { ready(): boolean; stop(): Promise<void> } | undefined;
  const ops = await startOpsServer({ port: config.METRICS_PORT, registry, ready });
  teardown.add('ops server', () => ops.close());
  try {
    // A kubeconfig it cannot use fails the start at once, with its reason.
    const kube = connectKube(config, (verb, code, seconds) => metrics.kubeRequestDuration.observe({ verb, code: String(code) }, seconds));
    // Closed last, after the leader session that uses them stopped.
    let serversTeardown = new Teardown(logger);
    teardown.add('servers', () => serversTeardown.run());
    const stopping = AbortSignal.any([teardown.signal, ...(opts.signal ? [opts.signal] : [])]);
    // Out of reach is waited for inside connectServers; any other failure (say, an index MongoDB
    // refuses) is said by /readyz and the log, and tried again after a backoff.
    const connectUntilReached = async (): Promise<ServerAdapters> => {
      for (let failures = 1; ; failures++) {
        try {
          servers = await connectServers(config, logger, serversTeardown, { signal: stopping, progress });
          serversFailed = undefined;
          return servers;
        } catch (err) {
          await serversTeardown.run();
          serversTeardown = new Teardown(logger);
          if (err instanceof StartAborted || stopping.aborted) throw err;
          serversFailed = new Error(`connecting the servers failed: ${(err as Error)?.message ?? err}`);
          const retryInMs = backoffMs(failures, SERVERS_BACKOFF);
          logger.error({ err, retryInMs }, 'connecting the servers failed; trying again');
          await delay(retryInMs, undefined, { signal: stopping }).catch(() => undefined);
        }
      }
    };
    const reached = connectUntilReached();
    const announce = (job: JobView) => void (servers && tryPublishEvent(servers.redis, { type: 'job', job }));
    let change = Promise.resolve();
    const lead = async () => {
      const { workers, withServers, informer, queue } = leaderWorkers(config, kube, announce, metrics, logger);
      metrics.show({ longestRunningMs: () => queue.longestRunningMs(), resources: () => informer.cache.values() });
      const ended = new Teardown(logger);
      ended.add('metrics view', async () => metrics.show(undefined));
      const current = { ready: () => informer.synced, stop: () => ended.run() };
      session = current;
      for (const worker of workers) await ended.startWorker(worker);
      void reached.then(async (io) => {
        if (session !== current) return; // this session ended before the servers answered
        for (const worker of withServers(io)) await ended.startWorker(worker);
      }, () => undefined);
    };
    const follow = async () => {
      const ending = session;
      session = undefined;
      await ending?.stop();
    };
    const lease = { namespace: config.LEASE_NAMESPACE, name: config.LEASE_NAME, identity: config.POD_NAME, durationSeconds: config.LEASE_DURATION_SECONDS };
    const elector = new LeaderElector(
      kube,
      lease,
      logger,
      () => void (change = change.then(() => (metrics.leader.set(1), lead())).catch((err: unknown) => logger.error({ err }, 'leader session failed to start'))),
      () => void (change = change.then(() => (metrics.leader.set(0), follow()))),
      () => metrics.kubeRequests.inc({ kind: 'lease', resource: 'leases' }),
    );
    teardown.add('leader lease', () => elector.stop()); // released last of the Kubernetes part: after the session stopped
    teardown.add('leader session', () => change.then(follow));
    elector.start();
    reached.then(
      () => logger.info({}, 'servers reached'),
      () => undefined, // shutting down before they answered
    );
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
