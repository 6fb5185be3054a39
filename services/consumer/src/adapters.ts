import { topicSpecs } from '@userforge/contracts';
import { connectMongo, connectRedis, createKafka, ensureTopics, type Logger, type Redis, type Teardown } from '@userforge/platform';
import type { Admin, Kafka, Producer } from 'kafkajs';
import type { Db } from 'mongodb';
import type { Connection } from 'mongoose';
import type { ConsumerConfig } from './config';

/** Connects MongoDB and Redis, registering each for teardown. An unreachable Redis only costs live events. */
export async function connectStores(config: ConsumerConfig, logger: Logger, teardown: Teardown): Promise<{ mongo: Connection; db: Db; redis: Redis }> {
  const mongo = await connectMongo(config.MONGO_URL, { appName: 'userforge-consumer' });
  teardown.add('mongo', () => mongo.close());
  const redis = await connectRedis(config.REDIS_URL, logger);
  teardown.add('redis', () => redis.disconnect());
  return { mongo, db: mongo.db!, redis };
}

/**
 * Makes sure of the topics and connects one idempotent producer (dead letters) and an admin client
 * (the lag monitor), registering both for teardown.
 */
export async function connectKafka(config: ConsumerConfig, logger: Logger, teardown: Teardown): Promise<{ kafka: Kafka; producer: Producer; admin: Admin }> {
  const kafka = createKafka({ clientId: 'userforge-consumer', brokers: config.KAFKA_BROKERS, logger });
  await ensureTopics(kafka, topicSpecs(config.KAFKA_PARTITIONS));
  const admin = kafka.admin();
  teardown.add('kafka admin', () => admin.disconnect());
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  teardown.add('kafka producer', () => producer.disconnect());
  await producer.connect();
  await admin.connect();
  return { kafka, producer, admin };
}
