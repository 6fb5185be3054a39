import { connectionShape, env, loadConfig } from '@userforge/platform';

export const consumerConfigShape = {
  ...connectionShape,
  /** Port of the consumer's own /metrics and /healthz endpoints. */
  METRICS_PORT: env.port(9101),
  KAFKA_GROUP_ID: env.str('userforge-user-generator'),
  /** Group of the user-event consumer (activity, deletions). */
  KAFKA_EVENTS_GROUP_ID: env.str('userforge-user-events'),
  /**
   * Where a brand-new consumer group starts: the beginning of the topic (the safe default: chunks
   * published before any consumer ever ran are not skipped) or only new messages.
   */
  KAFKA_FROM_BEGINNING: env.bool(true),
  /** How long the group waits for a silent member before giving its partitions to others. */
  KAFKA_SESSION_TIMEOUT_MS: env.int(30_000, 6_000, 300_000),
  KAFKA_PARTITIONS: env.int(12, 1, 1000),
  /** Chunks this process works on at once (from different partitions): overlaps generation with inserts. */
  CONSUMER_CONCURRENCY: env.int(2, 1, 64),
  /** Users per insertMany round trip inside a chunk. */
  INSERT_BATCH_SIZE: env.int(2000, 1, 100_000),
  /** Attempts of a chunk failing for a non-transient reason before it is dead-lettered. */
  MAX_CHUNK_ATTEMPTS: env.int(5, 1, 100),
};

export type ConsumerConfig = ReturnType<typeof loadConsumerConfig>;

export function loadConsumerConfig(source: Record<string, string | undefined> = process.env) {
  return loadConfig(consumerConfigShape, source);
}
