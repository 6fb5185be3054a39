import { jitteredBackoffMs } from '@userforge/platform';

/** Errors that mean "the database or broker is unreachable right now": retry, never dead-letter. */
const TRANSIENT_NAMES = new Set([
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoServerSelectionError',
  'MongoNotConnectedError',
  'MongoTopologyClosedError',
  'MongoPoolClearedError',
  'MongoWriteConcernError',
  'KafkaJSConnectionError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSNumberOfRetriesExceeded',
]);
const TRANSIENT_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH']);
/**
 * Server error codes that mean "try again later". FerretDB answers InternalError (1) while its
 * PostgreSQL is unreachable, so it is here too: a chunk waits out an outage rather than being lost.
 */
const TRANSIENT_SERVER_CODES = new Set([1, 6, 7, 89, 91, 189, 10107, 11600, 11602, 13435, 13436]);

export function isTransient(err: unknown, depth = 0): boolean {
  const e = err as { name?: string; code?: unknown; cause?: unknown; errorLabels?: string[] } | null;
  if (!e || depth > 8) return false;
  if (e.name && TRANSIENT_NAMES.has(e.name)) return true;
  if (typeof e.code === 'string' && TRANSIENT_CODES.has(e.code)) return true;
  if (typeof e.code === 'number' && TRANSIENT_SERVER_CODES.has(e.code) && e.name === 'MongoServerError') return true;
  if (e.errorLabels?.includes('RetryableWriteError') || e.errorLabels?.includes('TransientTransactionError')) return true;
  return e.cause !== undefined && e.cause !== err && isTransient(e.cause, depth + 1);
}

/** Exponential backoff with full jitter, capped. `attempt` counts from 1. */
export function backoffMs(attempt: number, random: () => number = Math.random, baseMs = 250, capMs = 10_000): number {
  return jitteredBackoffMs(attempt, { minMs: baseMs, maxMs: capMs }, random);
}

export type FailureDecision = { action: 'retry'; delayMs: number } | { action: 'dead-letter'; reason: string };

/** Transient failures retry without limit (nothing may be lost); others get a few tries, then the DLQ. */
export function decideOnFailure(err: unknown, attempt: number, maxAttempts: number): FailureDecision {
  if (isTransient(err)) return { action: 'retry', delayMs: backoffMs(attempt) };
  if (attempt < maxAttempts) return { action: 'retry', delayMs: backoffMs(attempt) };
  return { action: 'dead-letter', reason: `failed ${attempt} times: ${(err as Error)?.message ?? String(err)}` };
}

/**
 * Kafka told this member the group is rebalancing (seen on heartbeat): the partition may already be
 * someone else's, so stop at once without committing and let the new owner redo the chunk.
 */
export function isRebalance(err: unknown): boolean {
  const e = err as { name?: string; type?: string } | null;
  return e?.name === 'KafkaJSProtocolError' && (e.type === 'REBALANCE_IN_PROGRESS' || e.type === 'UNKNOWN_MEMBER_ID' || e.type === 'ILLEGAL_GENERATION');
}
