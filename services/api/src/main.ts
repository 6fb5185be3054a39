import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Topics, encodeMessage, topicSpecs, type ContractTopic, type JobView, type PlatformEvent } from '@userforge/contracts';
import { JobRepository, subscribeEvents, toJobView, tryPublishEvent } from '@userforge/jobs';
import {
  connectMongo,
  createKafka,
  connectRedis,
  createLogger,
  createMetricsRegistry,
  createRedis,
  ensureTopics,
  pingMongo,
  runService,
  type Redis,
} from '@userforge/platform';
import type { Producer } from 'kafkajs';
import { Router } from 'express';
import { ActivityRepository, UserTallyRepository } from '@userforge/users';
import type { Connection } from 'mongoose';
import { createApp } from './app';
import { loadApiConfig, type ApiConfig } from './config';
import { JobPublisher } from './domain/job-publisher';
import { EventHub } from './events';
import { eventsRoutes } from './http/events.routes';
import { jobsRoutes } from './http/jobs.routes';
import { buildOpenApiDocument, openapiRoutes } from './http/openapi';
import { corsFor, rateLimit, requireApiKey, securityHeaders } from './http/security';
import { usersRoutes } from './http/users.routes';
import { seriesRoutes } from './http/series.routes';
import { LiveSeries } from './domain/live-series';
import { PageCache } from './data/page-cache';
import { TallyReader } from './data/tally-reader';
import { UserRepository } from './data/user.repository';

/** How far back the periodic tally heal looks: covers late inserts and clock skew between processes. */
const TALLY_HEAL_WINDOW_MS = 5 * 60_000;

export interface RunningApi {
  port: number;
  stop(): Promise<void>;
}

/** Starts the API: connects to MongoDB, Redis and Kafka, then listens. Tests call this with PORT=0. */
export async function start(config: ApiConfig = loadApiConfig()): Promise<RunningApi> {
  const logger = createLogger('api', config.LOG_LEVEL);
  const registry = createMetricsRegistry('api');
  const kafka = createKafka({ clientId: 'userforge-api', brokers: config.KAFKA_BROKERS, logger });
  const hub = new EventHub();
  let mongo: Connection | undefined;
  let redis: Redis | undefined;
  let subscriber: Redis | undefined;
  let producer: Producer | undefined;
  let publisher: JobPublisher | undefined;
  let server: Server | undefined;
  let healTimer: NodeJS.Timeout | undefined;
  let sampleTimer: NodeJS.Timeout | undefined;

  const stop = async () => {
    if (healTimer) clearInterval(healTimer);
    if (sampleTimer) clearInterval(sampleTimer);
    await publisher?.stop().catch((err: unknown) => logger.warn({ err }, 'publisher stop failed'));
    if (server) {
      // Stop accepting, end the event streams (clients reconnect elsewhere), let requests in flight
      // finish, and force-close only what is still open after the deadline.
      const closed = new Promise<void>((resolve) => server!.close(() => resolve()));
      hub.close();
      server.closeIdleConnections();
      const deadline = setTimeout(() => server!.closeAllConnections(), 10_000);
      await closed;
      clearTimeout(deadline);
    }
    await producer?.disconnect().catch(() => undefined);
    subscriber?.disconnect();
    await redis?.quit().catch(() => redis?.disconnect());
    await mongo?.close();
  };

  try {
    mongo = await connectMongo(config.MONGO_URL, { appName: 'userforge-api' });
    const jobs = new JobRepository(mongo.db!);
    await jobs.ensureIndexes();

    redis = await connectRedis(config.REDIS_URL, logger);
    subscriber = createRedis(config.REDIS_URL, { enableOfflineQueue: true, maxRetriesPerRequest: null });
    subscriber.on('error', () => undefined); // readiness reports Redis; it reconnects by itself
    // Not awaited: with Redis down the subscription waits in the client's queue and is made (and
    // renewed after every reconnect) by ioredis; the API serves meanwhile.
    subscriber.connect().catch(() => undefined);
    subscribeEvents(subscriber, (event) => hub.emit(event)).catch((err: unknown) =>
      logger.warn({ err }, 'event subscription failed; live events from other processes paused'),
    );
    // Through Redis so every API instance hears it; straight to local clients when Redis is down.
    const announce = (job: JobView) => {
      const event: PlatformEvent = { type: 'job', job };
      if (subscriber?.status !== 'ready' || !tryPublishEvent(redis, event, () => hub.emit(event))) hub.emit(event);
    };

    await ensureTopics(kafka, topicSpecs(config.KAFKA_PARTITIONS));
    const admin = kafka.admin();
    await admin.connect();
    const meta = await admin.fetchTopicMetadata({ topics: [Topics.userCreateBulk] });
    await admin.disconnect();
    const partitions = meta.topics[0]?.partitions.length ?? config.KAFKA_PARTITIONS;

    producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const sender = {
      send: async (messages: { key: string; value: string; partition: number }[]) => {
        await producer!.send({ topic: Topics.userCreateBulk, acks: -1, messages });
      },
    };
    publisher = new JobPublisher({ jobs, sender, partitions, logger, onProgress: announce });
    publisher.startAdopting();

    const jobDeps = { jobs, publisher, onProgress: announce };

    const db = mongo.db!;
    const userRepo = new UserRepository(db);
    const tallyRepo = new UserTallyRepository(db, redis);
    const activities = new ActivityRepository(db, redis);
    await activities.ensureIndexes();
    const redisReady = () => redis?.status === 'ready';
    const tallyReader = new TallyReader(tallyRepo, redisReady);
    const cache = new PageCache(redis, config.CACHE_TTL_SECONDS, tallyRepo.keys);
    await tallyRepo.ensureIndexes();
    // Deltas whose Redis step failed (Redis down) are applied here; after Redis lost its data, all are.
    // A full pass at start and whenever Redis returns; between them every 30 s a pass over the deltas
    // recorded in the last few minutes (a write that failed only towards Redis while this API's own
    // connection stayed up), so the periodic cost does not grow with the history.
    let fullHealDone = false;
    const heal = (sinceMs?: number) => {
      if (!redisReady()) return Promise.resolve();
      return tallyRepo.heal(sinceMs).then(
        (n) => {
          if (sinceMs === undefined) fullHealDone = true;
          if (n) logger.info({ applied: n, full: sinceMs === undefined }, 'user tally healed');
        },
        (err: unknown) => logger.warn({ err }, 'tally heal failed'),
      );
    };
    await heal();
    redis.on('ready', () => void heal()); // catch up at once when Redis returns
    healTimer = setInterval(() => void (fullHealDone ? heal(Date.now() - TALLY_HEAL_WINDOW_MS) : heal()), 30_000);
    healTimer.unref();
    const live = new LiveSeries();
    const sample = async () => {
      const [tally, active] = await Promise.all([tallyReader.snapshot(), jobs.findActive()]);
      const waiting = active.map((j) => toJobView(j)).reduce((n, j) => n + Math.max(0, j.chunksPublished - j.chunksDone), 0);
      live.add(Date.now(), tally.users, waiting);
    };
    sampleTimer = setInterval(() => void sample().catch(() => undefined), 5_000);
    sampleTimer.unref();
    const publish = async (topic: string, key: string, message: object) => {
      await producer!.send({ topic, acks: -1, messages: [{ key, value: encodeMessage(topic as ContractTopic, message as never) }] });
    };
    const apiKey = requireApiKey(config.API_KEY);
    const mutationGuard = [apiKey, rateLimit({ windowMs: 60_000, max: config.RATE_LIMIT_MUTATIONS_PER_MINUTE, name: 'write' })];
    const generateGuard = [apiKey, rateLimit({ windowMs: 60_000, max: config.RATE_LIMIT_GENERATE_PER_MINUTE, name: 'generate' })];
    const guards = Router();
    guards.post(['/v1/jobs', '/v1/jobs/:id/cancel', '/v1/generate/users/random/:count'], ...generateGuard);
    guards.get('/v1/generate/users/random/:count', ...generateGuard);
    const app = createApp({
      logger,
      registry,
      checks: {
        mongo: () => pingMongo(mongo!),
        redis: async () => void (await redis!.ping()),
      },
      front: [securityHeaders(), corsFor(config.CORS_ORIGINS)],
      bodyLimit: config.BODY_LIMIT,
      routers: [
        openapiRoutes(buildOpenApiDocument({ maxJobCount: config.MAX_JOB_COUNT, version: '0.1.0' })),
        guards,
        jobsRoutes(jobDeps, config.MAX_JOB_COUNT),
        seriesRoutes(live, config.PROMETHEUS_URL),
        usersRoutes({
          list: { users: userRepo, tally: tallyReader },
          users: {
            users: userRepo,
            tally: { record: (delta) => tallyRepo.record(delta), snapshot: () => tallyReader.snapshot() },
            sequence: { reserve: (n) => jobs.reserveSequence(n) },
            activities,
            publish,
            invalidateListings: () => cache.invalidate(),
          },
          cache,
          guard: mutationGuard,
        }),
        eventsRoutes(hub, async () => (await jobs.findActive()).map((job) => ({ type: 'job', job: toJobView(job) }))),
      ],
    });
    server = await new Promise<Server>((resolve, reject) => {
      const s = app.listen(config.PORT, config.HOST, () => resolve(s));
      s.once('error', reject);
    });
  } catch (err) {
    await stop();
    throw err;
  }
  const port = (server.address() as AddressInfo).port;
  logger.info({ port, partitions: config.KAFKA_PARTITIONS }, 'api listening');
  return { port, stop };
}

if (require.main === module) {
  let running: RunningApi | undefined;
  runService({ start: async () => (running = await start()), stop: async () => running?.stop() }, createLogger('api'));
}
