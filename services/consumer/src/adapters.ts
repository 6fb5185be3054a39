import { topicSpecs } from '@userforge/contracts';
import { connectMongo, connectRedis, createKafka, ensureTopics, waitFor, type Logger, type Redis, type StartupWait, type Teardown } from '@userforge/platform';
import type { Admin, Kafka, Producer } from 'kafkajs';
import type { Db } from 'mongodb';
import type { Connection } from 'mongoose';
import type { ConsumerConfig } from './config';

/**
 * Connects MongoDB (waited for however long it takes) and Redis, registering each for teardown. An
 * unreachable Redis only costs live events, so it is not waited for.
 */
export async function connectStores(config: ConsumerConfig, logger: Logger, teardown: Teardown, wait: StartupWait = {}): Promise<{ mongo: Connection; db: Db; redis: Redis }> {
  const mongo = await waitFor('mongo', () => connectMongo(config.MONGO_URL, { appName: 'userforge-consumer' }), { logger, ...wait, discard: (c) => c.close() });
  teardown.add('mongo', () => mongo.close());
  const redis = await connectRedis(config.REDIS_URL, logger, { signal: teardown.signal });
  teardown.add('redis', () => redis.disconnect());
  return { mongo, db: mongo.db!, redis };
}

/**
 * Makes sure of the topics (waiting for Kafka however long it takes) and connects one idempotent
 * producer (dead letters) and an admin client (the lag monitor), registering both for teardown.
 */
export async function connectKafka(config: ConsumerConfig, logger: Logger, teardown: Teardown, wait: StartupWait = {}): Promise<{ kafka: Kafka; producer: Producer; admin: Admin }> {
  const kafka = createKafka({ clientId: 'userforge-consumer', brokers: config.KAFKA_BROKERS, logger });
  await waitFor('kafka', (signal) => ensureTopics(kafka, topicSpecs(config.KAFKA_PARTITIONS), { retries: 1, signal }), { logger, ...wait });
  const admin = kafka.admin();
  teardown.add('kafka admin', () => admin.disconnect());
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  teardown.add('kafka producer', () => producer.disconnect());
  await producer.connect();
  await admin.connect();
  return { kafka, producer, admin };
}
