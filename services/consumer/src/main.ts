import { Topics, encodeMessage, topicSpecs } from '@userforge/contracts';
import { JobRepository, toJobView, tryPublishEvent } from '@userforge/jobs';
import { ActivityRepository, UserTallyRepository } from '@userforge/users';
import {
  connectMongo,
  createKafka,
  createLogger,
  createMetricsRegistry,
  connectRedis,
  ensureTopics,
  pingMongo,
  runService,
  startOpsServer,
  type OpsServer,
  type Redis,
} from '@userforge/platform';
import type { Admin, Consumer, Producer } from 'kafkajs';
import type { Connection } from 'mongoose';
import { loadConsumerConfig, type ConsumerConfig } from './config';
import { UserWriteRepository } from './data/user.repository';
import { processChunk } from './domain/process-chunk';
import { randomUsersHandler } from './kafka/randomusers.handler';
import { USER_EVENT_TOPICS, userEventsHandler } from './kafka/user-events.handler';
import { createConsumerMetrics } from './metrics';

export interface RunningConsumer {
  metricsPort: number;
  stop(): Promise<void>;
}

/** Starts one generation consumer: a member of the group that turns chunks into stored users. */
export async function start(
  config: ConsumerConfig = loadConsumerConfig(),
  /** Called when the Kafka consumer dies for good; the process entry point exits so it is restarted. */
  onFatal: (err: unknown) => void = () => undefined,
): Promise<RunningConsumer> {
  const logger = createLogger('consumer', config.LOG_LEVEL);
  const registry = createMetricsRegistry('consumer');
  const metrics = createConsumerMetrics(registry);
  const kafka = createKafka({ clientId: 'userforge-consumer', brokers: config.KAFKA_BROKERS, logger });
  let stopping = false;
  let mongo: Connection | undefined;
  let redis: Redis | undefined;
  let producer: Producer | undefined;
  let consumer: Consumer | undefined;
  let eventsConsumer: Consumer | undefined;
  let admin: Admin | undefined;
  let ops: OpsServer | undefined;
  let lagTimer: NodeJS.Timeout | undefined;
  let joined = false;

  const stop = async () => {
    stopping = true;
    if (lagTimer) clearInterval(lagTimer);
    // Leaving the group waits for the chunks in hand, but kafkajs no longer commits once stopping:
    // they are redone by the partition's next owner, which idempotency makes harmless.
    await consumer?.disconnect().catch((err: unknown) => logger.warn({ err }, 'consumer disconnect failed'));
    await eventsConsumer?.disconnect().catch((err: unknown) => logger.warn({ err }, 'events consumer disconnect failed'));
    await producer?.disconnect().catch(() => undefined);
    await admin?.disconnect().catch(() => undefined);
    await ops?.close();
    redis?.disconnect();
    await mongo?.close();
  };

  try {
    mongo = await connectMongo(config.MONGO_URL, { appName: 'userforge-consumer' });
    const db = mongo.db!;
    const users = new UserWriteRepository(db);
    const jobs = new JobRepository(db);
    await Promise.all([users.ensureIndexes(), jobs.ensureIndexes()]);
    redis = await connectRedis(config.REDIS_URL, logger); // unreachable Redis only costs live events
    const tally = new UserTallyRepository(db, redis);
    const activities = new ActivityRepository(db, redis);
    await activities.ensureIndexes();

    await ensureTopics(kafka, topicSpecs(config.KAFKA_PARTITIONS));
    producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    consumer = kafka.consumer({
      groupId: config.KAFKA_GROUP_ID,
      sessionTimeout: config.KAFKA_SESSION_TIMEOUT_MS,
      heartbeatInterval: 3_000,
      maxBytesPerPartition: 64 * 1024,
    });
    consumer.on(consumer.events.GROUP_JOIN, () => {
      joined = true;
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      logger.error({ err: payload.error, restart: payload.restart }, 'consumer crashed');
      joined = false;
      // kafkajs restarts itself after retriable errors; otherwise never linger as a silent zombie.
      if (!payload.restart && !stopping) onFatal(payload.error);
    });
    await consumer.connect();
    await consumer.subscribe({ topic: Topics.userCreateBulk, fromBeginning: config.KAFKA_FROM_BEGINNING });

    const handler = randomUsersHandler({
      processChunk: (chunk, heartbeat) =>
        processChunk(
          {
            users,
            jobs,
            tally,
            heartbeat,
            batchSize: config.INSERT_BATCH_SIZE,
            onProgress: (job) => {
              tryPublishEvent(redis, { type: 'job', job });
            },
          },
          chunk,
        ),
      deadLetter: async (letter, key) => {
        await producer!.send({
          topic: Topics.userCreateBulkDlq,
          acks: -1,
          messages: [{ key, value: encodeMessage(Topics.userCreateBulkDlq, letter) }],
        });
      },
      failJob: async (jobId, reason) => {
        const job = await jobs.markFailed(jobId, reason, new Date());
        if (job) tryPublishEvent(redis, { type: 'job', job: toJobView(job) });
      },
      commit: (topic, partition, offset) => consumer!.commitOffsets([{ topic, partition, offset }]),
      metrics,
      logger,
      maxAttempts: config.MAX_CHUNK_ATTEMPTS,
      isStopping: () => stopping,
    });
    await consumer.run({ autoCommit: false, partitionsConsumedConcurrently: config.CONSUMER_CONCURRENCY, eachMessage: handler });

    // User events get their own group, so a queue of chunks never holds up activity or deletions.
    eventsConsumer = kafka.consumer({ groupId: config.KAFKA_EVENTS_GROUP_ID, sessionTimeout: config.KAFKA_SESSION_TIMEOUT_MS });
    eventsConsumer.on(eventsConsumer.events.CRASH, ({ payload }) => {
      logger.error({ err: payload.error, restart: payload.restart }, 'events consumer crashed');
      if (!payload.restart && !stopping) onFatal(payload.error);
    });
    await eventsConsumer.connect();
    await eventsConsumer.subscribe({ topics: [...USER_EVENT_TOPICS], fromBeginning: config.KAFKA_FROM_BEGINNING });
    await eventsConsumer.run({
      autoCommit: false,
      eachMessage: userEventsHandler({
        users,
        activities,
        logger,
        deadLetter: async (letter, key) => {
          await producer!.send({ topic: Topics.userCreateBulkDlq, acks: -1, messages: [{ key, value: encodeMessage(Topics.userCreateBulkDlq, letter) }] });
        },
        commit: (topic, partition, offset) => eventsConsumer!.commitOffsets([{ topic, partition, offset }]),
      }),
    });

    admin = kafka.admin();
    await admin.connect();
    const updateLag = async () => {
      const [committed] = await admin!.fetchOffsets({ groupId: config.KAFKA_GROUP_ID, topics: [Topics.userCreateBulk] });
      const ends = await admin!.fetchTopicOffsets(Topics.userCreateBulk);
      for (const end of ends) {
        const done = committed?.partitions.find((p) => p.partition === end.partition)?.offset ?? '-1';
        const from = done === '-1' ? Number(end.low) : Number(done);
        metrics.lag.set({ topic: Topics.userCreateBulk, partition: String(end.partition) }, Math.max(Number(end.high) - from, 0));
      }
    };
    lagTimer = setInterval(() => void updateLag().catch(() => undefined), 5_000);
    lagTimer.unref();

    // Ready once the database answers and the group has given this member its partitions.
    ops = await startOpsServer({
      port: config.METRICS_PORT,
      registry,
      ready: async () => {
        await pingMongo(mongo!);
        if (!joined) throw new Error('not yet a member of the consumer group');
      },
    });
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
  runService({ start: async () => (running = await start(undefined, exitOnFatal)), stop: async () => running?.stop() }, logger);
}
