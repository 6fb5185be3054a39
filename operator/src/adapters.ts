import { topicSpecs } from '@userforge/contracts';
import { JobRepository, connectChunkProducer, type ChunkProducer } from '@userforge/jobs';
import { connectMongoClient, connectRedis, createKafka, ensureTopics, waitFor, type Logger, type Redis, type StartupWait, type Teardown } from '@userforge/platform';
import type { Db } from 'mongodb';
import type { OperatorConfig } from './config';
import { KubeClient } from './k8s/client';
import { loadKubeConfig } from './k8s/rest';

export interface OperatorAdapters {
  db: Db;
  redis: Redis;
  chunks: ChunkProducer;
  jobs: JobRepository;
  kube: KubeClient;
}

/**
 * Connects MongoDB and Kafka (each waited for however long it takes; topics made sure of, the chunk
 * producer), Redis (not waited for: it only carries progress events) and the Kubernetes API, each
 * registered for teardown.
 */
export async function connectAdapters(
  config: OperatorConfig,
  logger: Logger,
  teardown: Teardown,
  wait: StartupWait = {},
  onKubeResponse?: (verb: string, code: number, seconds: number) => void,
): Promise<OperatorAdapters> {
  // First: a kubeconfig it cannot use fails the start at once, with its reason, before any server is waited for.
  const kube = new KubeClient(loadKubeConfig(config.KUBECONFIG), config.WATCH_NAMESPACE, onKubeResponse, config.LABEL_SELECTOR);
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
  return { db: mongo.db, redis, chunks, jobs, kube };
}
