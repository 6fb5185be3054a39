import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { METRIC_PREFIX } from '@userforge/platform';

export type ConsumerMetrics = ReturnType<typeof createConsumerMetrics>;

export function createConsumerMetrics(registry: Registry) {
  const registers = [registry];
  return {
    usersGenerated: new Counter({
      name: `${METRIC_PREFIX}users_generated_total`,
      help: 'Users newly stored by generation chunks (redelivered duplicates not counted).',
      registers,
    }),
    usersAlreadyStored: new Counter({
      name: `${METRIC_PREFIX}users_already_stored_total`,
      help: 'Users of a chunk that were already stored, so not inserted again: the work redone for chunks delivered more than once (a rebalance, a crash, a retry).',
      registers,
    }),
    chunks: new Counter({
      name: `${METRIC_PREFIX}chunks_processed_total`,
      help: 'Chunks handled, by outcome: stored, skipped (job cancelled or done), dead_lettered.',
      labelNames: ['outcome'] as const,
      registers,
    }),
    chunkDuration: new Histogram({
      name: `${METRIC_PREFIX}chunk_duration_seconds`,
      help: 'Time to generate, insert and record one chunk.',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
      registers,
    }),
    chunkFailures: new Counter({
      name: `${METRIC_PREFIX}chunk_failures_total`,
      help: 'Failed attempts at a chunk, by kind: transient (retried) or permanent.',
      labelNames: ['kind'] as const,
      registers,
    }),
    inFlight: new Gauge({
      name: `${METRIC_PREFIX}chunks_in_flight`,
      help: 'Chunks this process is working on right now.',
      registers,
    }),
    deadLetters: new Counter({
      name: `${METRIC_PREFIX}dead_letters_total`,
      help: 'Messages sent to a dead-letter topic (chunks and user events), by that topic.',
      labelNames: ['topic'] as const,
      registers,
    }),
    heldBack: new Counter({
      name: `${METRIC_PREFIX}messages_held_back_total`,
      help: 'Messages put back, their partition paused, because something they need is not ready yet (activity figures being rebuilt), by topic.',
      labelNames: ['topic'] as const,
      registers,
    }),
    lag: new Gauge({
      name: `${METRIC_PREFIX}kafka_consumer_lag_messages`,
      help: 'Messages on the partition not yet committed by the consumer group.',
      labelNames: ['topic', 'partition'] as const,
      registers,
    }),
  };
}
