import { Topics, encodeMessage, topicSpecs, type ContractTopic } from '@userforge/contracts';
import { connectMongo, connectRedis, createKafka, ensureTopics, type Logger, type Redis, type Teardown } from '@userforge/platform';
import type { Db } from 'mongodb';
import type { Connection } from 'mongoose';
import type { ApiConfig } from './config';

export interface ApiAdapters {
  mongo: Connection;
  db: Db;
  redis: Redis;
  /** Partitions of the chunk topic as it exists (an existing topic keeps its own count). */
  partitions: number;
  sendChunks(messages: { key: string; value: string; partition: number }[]): Promise<void>;
  publish(topic: string, key: string, message: object): Promise<void>;
}

/** Connects MongoDB, Redis and Kafka (topics made sure of, one idempotent producer), registering each for teardown. */
export async function connectAdapters(config: ApiConfig, logger: Logger, teardown: Teardown): Promise<ApiAdapters> {
  const mongo = await connectMongo(config.MONGO_URL, { appName: 'userforge-api' });
  teardown.add('mongo', () => mongo.close());
  const redis = await connectRedis(config.REDIS_URL, logger);
  teardown.add('redis', () => redis.quit().catch(() => redis.disconnect()));

  const kafka = createKafka({ clientId: 'userforge-api', brokers: config.KAFKA_BROKERS, logger });
  await ensureTopics(kafka, topicSpecs(config.KAFKA_PARTITIONS));
  const admin = kafka.admin();
  await admin.connect();
  const meta = await admin.fetchTopicMetadata({ topics: [Topics.userCreateBulk] }).finally(() => admin.disconnect());
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  teardown.add('kafka producer', () => producer.disconnect());
  return {
    mongo,
    db: mongo.db!,
    redis,
    partitions: meta.topics[0]?.partitions.length ?? config.KAFKA_PARTITIONS,
    sendChunks: async (messages) => {
      await producer.send({ topic: Topics.userCreateBulk, acks: -1, messages });
    },
    publish: async (topic, key, message) => {
      await producer.send({ topic, acks: -1, messages: [{ key, value: encodeMessage(topic as ContractTopic, message as never) }] });
    },
  };
}
