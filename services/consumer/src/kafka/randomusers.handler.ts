import type { EachMessagePayload } from 'kafkajs';
import { Topics, decodeMessage, type GenerateChunk } from '@userforge/contracts';
import type { Logger } from '@userforge/platform';
import type { ChunkOutcome } from '../domain/process-chunk';
import { decideOnFailure, isRebalance, isTransient } from '../domain/retry-policy';
import type { ConsumerMetrics } from '../metrics';
import { deadLetterOf, type SendDeadLetter } from './dead-letter';

export interface RandomUsersHandlerDeps {
  processChunk: (chunk: GenerateChunk, heartbeat: () => Promise<void>) => Promise<ChunkOutcome>;
  deadLetter: SendDeadLetter;
  /** A chunk of the job was dead-lettered: the job can never be complete, so it ends as failed. */
  failJob: (jobId: string, reason: string) => Promise<void>;
  commit: (topic: string, partition: number, nextOffset: string) => Promise<void>;
  metrics: ConsumerMetrics;
  logger: Logger;
  maxAttempts: number;
  isStopping: () => boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits without letting the group session expire. */
async function pause(ms: number, heartbeat: () => Promise<void>): Promise<void> {
  for (let left = ms; left > 0; left -= 2_000) {
    await sleep(Math.min(left, 2_000));
    await heartbeat();
  }
}

/**
 * Entry point for `user.create.bulk.randomusers`: validate, process with retries, dead-letter what
 * can never succeed, and commit the offset only after the chunk's outcome is durable. If the process
 * is stopping while a transient failure persists, the error propagates and the offset stays
 * uncommitted: the chunk is handed back to the group.
 */
export function randomUsersHandler(deps: RandomUsersHandlerDeps) {
  return async ({ topic, partition, message, heartbeat }: EachMessagePayload): Promise<void> => {
    const key = message.key?.toString() ?? null;
    const nextOffset = (BigInt(message.offset) + 1n).toString();
    const deadLetter = async (reason: string, error: string) => {
      await deps.deadLetter(deadLetterOf(topic, partition, message, reason, error));
      deps.metrics.chunks.inc({ outcome: 'dead_lettered' });
      deps.logger.warn({ topic, partition, offset: message.offset, key, reason }, 'chunk dead-lettered');
    };

    const decoded = decodeMessage(Topics.userCreateBulk, message.value);
    if (!decoded.ok) {
      await deadLetter('invalid_message', decoded.reason);
      await deps.commit(topic, partition, nextOffset);
      return;
    }
    const chunk = decoded.message;
    for (let attempt = 1; ; attempt++) {
      const endTimer = deps.metrics.chunkDuration.startTimer();
      deps.metrics.inFlight.inc();
      try {
        const outcome = await deps.processChunk(chunk, heartbeat);
        if (outcome.kind === 'rejected') {
          await deadLetter('rejected', outcome.reason);
        } else {
          deps.metrics.chunks.inc({ outcome: outcome.kind });
          if (outcome.kind === 'stored') {
            deps.metrics.usersGenerated.inc(outcome.inserted);
            deps.metrics.usersAlreadyStored.inc(chunk.count - outcome.inserted);
            endTimer();
          }
        }
        break;
      } catch (err) {
        if (isRebalance(err)) throw err;
        const transient = isTransient(err);
        deps.metrics.chunkFailures.inc({ kind: transient ? 'transient' : 'permanent' });
        const decision = decideOnFailure(err, attempt, deps.maxAttempts);
        if (decision.action === 'dead-letter') {
          await deadLetter('failed', decision.reason);
          await deps.failJob(chunk.jobId, `chunk ${chunk.chunkIndex} could not be stored: ${decision.reason}`);
          break;
        }
        if (deps.isStopping()) throw err;
        deps.logger.warn(
          { err, jobId: chunk.jobId, chunkIndex: chunk.chunkIndex, attempt, retryInMs: decision.delayMs },
          transient ? 'chunk failed transiently, retrying' : 'chunk failed, retrying',
        );
        await pause(decision.delayMs, heartbeat);
      } finally {
        deps.metrics.inFlight.dec();
      }
    }
    await deps.commit(topic, partition, nextOffset);
  };
}
