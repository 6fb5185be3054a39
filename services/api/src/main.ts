import type { RequestListener } from 'node:http';
import { JobPublisher, toJobView } from '@userforge/jobs';
import { StartupProgress, Teardown, createLogger, createMetricsRegistry, opsRequestListener, pingMongo, replyError, runService } from '@userforge/platform';
import { TallyReader, purgeDeps } from '@userforge/users';
import { connectAdapters } from './adapters';
import { createApp } from './app';
import { loadApiConfig, type ApiConfig } from './config';
import { PageCache } from './data/page-cache';
import { openRepositories } from './data/repositories';
import { EventHub } from './event-hub';
import { apiRoutes } from './http/routes';
import { corsFor, securityHeaders } from './http/security';
import { listen } from './http/server';
import { activityHealer } from './workers/activity-healer';
import { EventRelay } from './workers/event-relay';
import { JobPurger } from './workers/job-purger';
import { LiveSeries, liveSampler } from './workers/live-sampler';
import { tallyHealer } from './workers/tally-healer';
import { UserOutboxRelay } from './workers/user-outbox-relay';

/** What starts the API in-process with settings of one's own: `start(loadApiConfig(env))`. */
export { loadApiConfig, type ApiConfig };

export interface RunningApi {
  port: number;
  stop(): Promise<void>;
}

/**
 * Starts the API: listens at once (alive, not ready: /readyz names the servers still waited for,
 * every other route answers 503), connects to MongoDB, Redis and Kafka however long they take,
 * starts its workers, then serves its routes. `signal` ends a wait (rejecting with StartAborted).
 * Tests call this with PORT=0.
 */
export async function start(config: ApiConfig = loadApiConfig(), opts: { signal?: AbortSignal } = {}): Promise<RunningApi> {
  const logger = createLogger('api', config.LOG_LEVEL);
  const registry = createMetricsRegistry('api');
  const teardown = new Teardown(logger);
  const hub = new EventHub();
  const progress = new StartupProgress(['mongo', 'kafka']);
  let serve: RequestListener = opsRequestListener({
    registry,
    ready: () => progress.check(),
    otherwise: (_req, res) => void progress.check().catch((err: Error) => replyError(res, 503, 'unavailable', err.message)),
  });
  const server = await listen((req, res) => serve(req, res), {
    port: config.PORT,
    host: config.HOST,
    onClosing: () => hub.close(),
    keepAliveTimeoutMs: config.HTTP_KEEP_ALIVE_TIMEOUT_MS,
  });
  let serverInTeardown = false;
  try {
    const io = await connectAdapters(config, logger, teardown, { signal: opts.signal, progress });
    const { jobs, users, tally, activities, outbox } = await openRepositories(io.db, io.redis);
    const tallyReader = new TallyReader(tally, () => io.redis.status === 'ready');
    const cache = new PageCache(io.redis, config.CACHE_TTL_SECONDS, tally.keys);

    const relay = new EventRelay(hub, io.redis, config.REDIS_URL, logger);
    const onProgress = (job: ReturnType<typeof toJobView>) => relay.announce({ type: 'job', job });
    const publisher = new JobPublisher({ jobs, sender: io.chunks, partitions: io.chunks.partitions, logger, onProgress });
    const live = new LiveSeries();
    const activeJobs = async () => (await jobs.findActive()).map((job) => toJobView(job));
    const waitingChunks = async () => (await activeJobs()).reduce((n, j) => n + Math.max(0, j.chunksPublished - j.chunksDone), 0);
    const sample = async () => ({ users: (await tallyReader.snapshot()).users, waitingChunks: await waitingChunks() });
    const outboxRelay = new UserOutboxRelay({ outbox, users, send: io.sendEvents, registry, logger });
    const invalidateListings = () => cache.invalidate();
    const announceJob = async (id: string) => {
      const job = await jobs.findById(id);
      if (job) onProgress(toJobView(job));
    };
    const purger = new JobPurger(purgeDeps({ jobs, users, tally, outbox }, io.redis, { relay: outboxRelay, windowSize: config.PURGE_WINDOW }), announceJob, logger);
    const workers = [relay, tallyHealer(tally, io.redis, logger), activityHealer(activities, io.redis, logger), liveSampler(live, sample, logger), publisher, outboxRelay, purger];
    for (const worker of workers) await teardown.startWorker(worker);

    const app = createApp({
      logger,
      registry,
      front: [securityHeaders(), corsFor(config.CORS_ORIGINS)],
      bodyLimit: config.BODY_LIMIT,
      routes: apiRoutes({
        config,
        registry,
        checks: { mongo: () => pingMongo(io.mongo), redis: async () => void (await io.redis.ping()) },
        jobs: { jobs, publisher, onProgress },
        purger,
        list: { users, tally: tallyReader },
        users: { users, tally, counts: tallyReader, sequence: jobs, activities, outbox, relay: outboxRelay, publish: io.publish, invalidateListings },
        exporting: { jobs, users },
        cache,
        hub,
        live,
        activeJobs,
      }),
    });
    teardown.add('http server', () => server.close()); // closed first: no new requests while the rest stops
    serverInTeardown = true;
    serve = app;
    logger.info({ port: server.port, partitions: io.chunks.partitions }, 'api listening');
    return { port: server.port, stop: () => teardown.run() };
  } catch (err) {
    await teardown.run();
    if (!serverInTeardown) await server.close();
    throw err;
  }
}

if (require.main === module) {
  let running: RunningApi | undefined;
  runService({ start: async (signal) => (running = await start(undefined, { signal })), stop: async () => running?.stop() }, createLogger('api'));
}
