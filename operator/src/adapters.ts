import { topicSpecs } from '@userforge/contracts';
import { JobRepository, connectChunkProducer, type ChunkProducer } from '@userforge/jobs';
import { connectMongoClient, connectRedis, createKafka, ensureTopics, waitFor, type Logger, type Redis, type StartupWait, type Teardown } from '@userforge/platform';
import { openPurgeStores, purgeDeps, type PurgeDeps } from '@userforge/users';
import type { Db } from 'mongodb';
import type { OperatorConfig } from './config';
import { KubeClient } from './k8s/client';
import { loadKubeConfig } from './k8s/rest';

/** The platform's servers, once reached: what the leader needs to make, publish and cancel jobs. */
export interface ServerAdapters {
  db: Db;
  redis: Redis;
  chunks: ChunkProducer;
  jobs: JobRepository;
  /** What purging a job's users takes (reclaimPolicy Delete), wired as the API wires it. */
  purge: PurgeDeps;
}

/** The Kubernetes API client. A kubeconfig it cannot use fails the start at once, with its reason. */
export function connectKube(config: OperatorConfig, onKubeResponse?: (verb: string, code: number, seconds: number) => void): KubeClient {
  return new KubeClient(loadKubeConfig(config.KUBECONFIG), config.WATCH_NAMESPACE, onKubeResponse, config.LABEL_SELECTOR);
}

/**
 * Connects MongoDB and Kafka (each waited for however long it takes; topics made sure of, the chunk
 * producer) and Redis (not waited for: it only carries progress events), each registered for
 * teardown. The operator runs this in the background: it leads and watches without its servers.
 */
export async function connectServers(config: OperatorConfig, logger: Logger, teardown: Teardown, wait: StartupWait = {}): Promise<ServerAdapters> {
  const mongo = await waitFor('mongo', () => connectMongoClient(config.MONGO_URL, { appName: 'userforge-operator' }), { logger, ...wait, discard: (c) => c.close() });
  teardown.add('mongo', () => mongo.close());
  const redis = await connectRedis(config.REDIS_URL, logger, { signal: teardown.signal });
  teardown.add('redis', () => redis.disconnect());
  const kafka = createKafka({ clientId: 'userforge-operator', brokers: config.KAFKA_BROKERS, logger });
  await waitFor('kafka', (signal) => ensureTopics(kafka, topicSpecs(config.KAFKA_PARTITIONS), { retries: 1, signal }), { logger, ...wait });
  const chunks = await connectChunkProducer(kafka, config.KAFKA_PARTITIONS);
  teardown.add('kafka producer', () => chunks.disconnect());
  const jobs = new JobRepository(mongo.db);
  await jobs.ensureIndexes();
  // No nudge: the user outbox relay runs in the API, whose poll (every few seconds) publishes the
  // purge's events to Kafka from the outbox; they wait there durably until it does.
  const purge = purgeDeps({ jobs, ...(await openPurgeStores(mongo.db, redis)) }, redis, { relay: { nudge: () => undefined } });
  return { db: mongo.db, redis, chunks, jobs, purge };
}
