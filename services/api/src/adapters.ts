import { encodeMessage, topicSpecs, type ContractTopic } from '@userforge/contracts';
import { connectChunkProducer, type ChunkProducer } from '@userforge/jobs';
import { AppError, connectMongo, connectRedis, createKafka, ensureTopics, waitFor, type Logger, type Redis, type StartupWait, type Teardown } from '@userforge/platform';
import type { Db } from 'mongodb';
import type { Connection } from 'mongoose';
import type { ApiConfig } from './config';

export interface ApiAdapters {
  mongo: Connection;
  db: Db;
  redis: Redis;
  /** The job publisher's producer, and the chunk topic's partitions. */
  chunks: ChunkProducer;
  /** One message, for requests: a Kafka failure is a 503 within seconds. */
  publish(topic: string, key: string, message: object): Promise<void>;
  /** Encoded messages in order (the outbox relay); rejects unless Kafka acknowledged them all. */
  sendEvents(messages: { topic: string; key: string; value: string }[]): Promise<void>;
}

/**
 * Connects MongoDB, Redis and Kafka (topics made sure of, a producer for chunks and one for events),
 * registering each for teardown. MongoDB and Kafka are waited for however long they take; Redis is
 * not (the API serves without it).
 */
export async function connectAdapters(config: ApiConfig, logger: Logger, teardown: Teardown, wait: StartupWait = {}): Promise<ApiAdapters> {
  const mongo = await waitFor('mongo', () => connectMongo(config.MONGO_URL, { appName: 'userforge-api' }), { logger, ...wait, discard: (c) => c.close() });
  teardown.add('mongo', () => mongo.close());
  const redis = await connectRedis(config.REDIS_URL, logger, { signal: teardown.signal });
  teardown.add('redis', () => redis.quit().catch(() => redis.disconnect()));

  const kafka = createKafka({ clientId: 'userforge-api', brokers: config.KAFKA_BROKERS, logger });
  await waitFor('kafka', (signal) => ensureTopics(kafka, topicSpecs(config.KAFKA_PARTITIONS), { retries: 1, signal }), { logger, ...wait });
  const chunks = await connectChunkProducer(kafka, config.KAFKA_PARTITIONS);
  teardown.add('kafka producer', () => chunks.disconnect());
  // Events and activity: a few retries, so a request fails fast and the outbox relay keeps its own
  // backoff (an idempotent producer retries for ever). One request in flight keeps a user's events
  // in order; a duplicate from a retry is harmless to their consumers.
  const events = kafka.producer({ maxInFlightRequests: 1, retry: { retries: 2 } });
  await events.connect();
  teardown.add('kafka event producer', () => events.disconnect());
  return {
    mongo,
    db: mongo.db!,
    redis,
    chunks,
    publish: async (topic, key, message) => {
      const value = encodeMessage(topic as ContractTopic, message as never);
      try {
        await events.send({ topic, acks: -1, messages: [{ key, value }] });
      } catch (err) {
        throw Object.assign(AppError.unavailable(`Kafka is unavailable: the ${topic} event could not be published; try again later`), { cause: err });
      }
    },
    sendEvents: async (messages) => {
      const byTopic = new Map<string, { key: string; value: string }[]>();
      for (const { topic, ...message } of messages) byTopic.set(topic, (byTopic.get(topic) ?? []).concat(message));
      await events.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, list]) => ({ topic, messages: list })) });
    },
  };
}
