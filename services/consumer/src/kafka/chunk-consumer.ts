import { Topics } from '@userforge/contracts';
import { failJob, processChunk, type ChunkDeps } from '../domain/process-chunk';
import type { ConsumerMetrics } from '../metrics';
import { ConsumerGroup, type GroupContext } from './consumer-group';
import type { SendDeadLetter } from './dead-letter';
import { randomUsersHandler } from './randomusers.handler';

/** The generation group: turns chunks of `user.create.bulk.randomusers` into stored users. */
export function chunkConsumer(
  ctx: GroupContext,
  chunks: Omit<ChunkDeps, 'heartbeat'>,
  deadLetter: SendDeadLetter,
  metrics: ConsumerMetrics,
): ConsumerGroup {
  const { config } = ctx;
  return new ConsumerGroup(ctx, {
    name: 'consumer',
    consumer: {
      groupId: config.KAFKA_GROUP_ID,
      sessionTimeout: config.KAFKA_SESSION_TIMEOUT_MS,
      heartbeatInterval: 3_000,
      maxBytesPerPartition: 64 * 1024,
    },
    topics: [Topics.userCreateBulk],
    partitionsConsumedConcurrently: config.CONSUMER_CONCURRENCY,
    handler: (commit) =>
      randomUsersHandler({
        processChunk: (chunk, heartbeat) => processChunk({ ...chunks, heartbeat }, chunk),
        deadLetter,
        failJob: (jobId, reason) => failJob(chunks, jobId, reason),
        commit,
        metrics,
        logger: ctx.logger,
        maxAttempts: config.MAX_CHUNK_ATTEMPTS,
        isStopping: ctx.isStopping,
      }),
  });
}
