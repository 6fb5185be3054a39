import { Topics, type JobView, type PlatformEvent } from '@userforge/contracts';
import { JobRepository } from '@userforge/jobs';
import { StartupProgress, Teardown, createLogger, createMetricsRegistry, pingMongo, runService, startOpsServer, tryPublishEvent } from '@userforge/platform';
import { ActivityRepository, UserRepository, UserTallyRepository } from '@userforge/users';
import { connectKafka, connectStores } from './adapters';
import { loadConsumerConfig, type ConsumerConfig } from './config';
import { chunkConsumer } from './kafka/chunk-consumer';
import { deadLetterSender } from './kafka/dead-letter';
import { userEventsConsumer } from './kafka/user-events-consumer';
import { createConsumerMetrics } from './metrics';
import { lagMonitor } from './workers/lag-monitor';

/** What starts a consumer in-process with settings of one's own: `start(loadConsumerConfig(env))`. */
export { loadConsumerConfig, type ConsumerConfig };

export interface RunningConsumer {
  metricsPort: number;
  stop(): Promise<void>;
}

/**
 * Starts one generation consumer: a member of the group that turns chunks into stored users. Its ops
 * server answers first (alive, not ready: /readyz names the servers still waited for) while it
 * connects to MongoDB and Kafka however long they take; `opts.signal` ends that wait.
 */
export async function start(
  config: ConsumerConfig = loadConsumerConfig(),
  /** Called when a Kafka consumer dies for good; the process entry point exits so it is restarted. */
  onFatal: (err: unknown) => void = () => undefined,
  opts: { signal?: AbortSignal } = {},
): Promise<RunningConsumer> {
  const logger = createLogger('consumer', config.LOG_LEVEL);
  const registry = createMetricsRegistry('consumer');
  const metrics = createConsumerMetrics(registry);
  const teardown = new Teardown(logger);
  let stopping = false;
  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopping = true;
    return (stopped ??= teardown.run());
  };
  const progress = new StartupProgress(['mongo', 'kafka']);
  let ready = () => progress.check();
  const ops = await startOpsServer({ port: config.METRICS_PORT, registry, ready: () => ready() });
  // Undone in reverse: the groups leave first, while the Kafka clients, ops server and stores still serve.
  teardown.add('ops server', () => ops.close());

  try {
    const wait = { signal: opts.signal, progress };
    const { mongo, db, redis } = await connectStores(config, logger, teardown, wait);
    const users = new UserRepository(db);
    const jobs = new JobRepository(db);
    const tally = new UserTallyRepository(db, redis);
    const activities = new ActivityRepository(db, redis);
    await Promise.all([users.ensureIndexes(), jobs.ensureIndexes(), activities.ensureIndexes()]);
    const { kafka, producer, admin } = await connectKafka(config, logger, teardown, wait);

    const ctx = { kafka, config, logger, isStopping: () => stopping, onFatal, heldBack: metrics.heldBack };
    const onProgress = (job: JobView) => void tryPublishEvent<PlatformEvent>(redis, { type: 'job', job });
    const chunkDeps = { users, jobs, tally, onProgress, batchSize: config.INSERT_BATCH_SIZE };
    const chunks = chunkConsumer(ctx, chunkDeps, deadLetterSender(producer, Topics.userCreateBulkDlq, metrics.deadLetters), metrics);
    const events = userEventsConsumer(ctx, { users, activities }, deadLetterSender(producer, Topics.userEventsDlq, metrics.deadLetters));
    for (const group of [events, chunks]) teardown.add(group.name, () => group.stop()); // chunks leave first
    await chunks.start();
    await events.start();
    await teardown.startWorker(lagMonitor(admin, config.KAFKA_GROUP_ID, metrics.lag, logger));

    // Ready once the database answers and the group has given this member its partitions.
    ready = async () => {
      await pingMongo(mongo);
      if (!chunks.joined) throw new Error('not yet a member of the consumer group');
    };
  } catch (err) {
    await stop();
    throw err;
  }
  logger.info({ metricsPort: ops.port, group: config.KAFKA_GROUP_ID }, 'consumer running');
  return { metricsPort: ops.port, stop };
}

if (require.main === module) {
  let running: RunningConsumer | undefined;
  const logger = createLogger('consumer');
  const exitOnFatal = (err: unknown) => {
    logger.fatal({ err }, 'kafka consumer stopped for good; exiting');
    setTimeout(() => process.exit(1), 10_000).unref();
    void (running?.stop() ?? Promise.resolve()).finally(() => process.exit(1));
  };
  runService({ start: async (signal) => (running = await start(undefined, exitOnFatal, { signal })), stop: async () => running?.stop() }, logger);
}
