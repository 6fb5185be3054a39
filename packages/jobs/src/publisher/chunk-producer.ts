import type { Kafka, Producer } from 'kafkajs';
import { Topics } from '@userforge/contracts';
import type { ChunkSender } from './publish-job';

export interface ChunkProducer extends ChunkSender {
  /** Partitions of the chunk topic as it exists (an existing topic keeps its own count). */
  partitions: number;
  producer: Producer;
  disconnect(): Promise<void>;
}

/**
 * The idempotent producer every job publisher sends chunks with (the API and the operator), and the
 * chunk topic's real partition count, which spreads chunks and caps useful consumer pods.
 */
export async function connectChunkProducer(kafka: Kafka, fallbackPartitions: number): Promise<ChunkProducer> {
  const admin = kafka.admin();
  await admin.connect();
  const meta = await admin.fetchTopicMetadata({ topics: [Topics.userCreateBulk] }).finally(() => admin.disconnect());
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  return {
    partitions: meta.topics[0]?.partitions.length ?? fallbackPartitions,
    producer,
    send: async (messages) => {
      await producer.send({ topic: Topics.userCreateBulk, acks: -1, messages });
    },
    disconnect: () => producer.disconnect(),
  };
}
