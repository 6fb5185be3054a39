import type { EachMessagePayload } from 'kafkajs';
import { Registry } from 'prom-client';
import { Topics, encodeMessage, type DeadLetter } from '@userforge/contracts';
import { chunkMessage } from '@userforge/jobs';
import { createLogger } from '@userforge/platform';
import type { ChunkOutcome } from '../src/domain/process-chunk';
import { randomUsersHandler } from '../src/kafka/randomusers.handler';
import { createConsumerMetrics } from '../src/metrics';

const chunk = chunkMessage(
  { id: 'a'.repeat(24), count: 10, chunkSize: 10, chunksTotal: 1, seed: 1, seqBase: 0, locale: 'en', createdAt: new Date(0) },
  0,
);

/** The decisions of the entry point, with its collaborators recorded in memory. */
function harness(process: () => Promise<ChunkOutcome>) {
  const calls: string[] = [];
  const letters: DeadLetter[] = [];
  const failed: string[] = [];
  const registry = new Registry();
  const handler = randomUsersHandler({
    processChunk: async () => {
      calls.push('process');
      return process();
    },
    deadLetter: async (letter) => {
      calls.push('dead-letter');
      letters.push(letter);
    },
    failJob: async (jobId) => {
      calls.push('fail-job');
      failed.push(jobId);
    },
    commit: async (_topic, _partition, offset) => {
      calls.push(`commit ${offset}`);
    },
    metrics: createConsumerMetrics(registry),
    logger: createLogger('test', 'silent'),
    maxAttempts: 2,
    isStopping: () => false,
  });
  const deliver = (value: string | null) =>
    handler({
      topic: Topics.userCreateBulk,
      partition: 3,
      message: { key: Buffer.from('k'), value: value === null ? null : Buffer.from(value), offset: '41' },
      heartbeat: async () => undefined,
    } as unknown as EachMessagePayload);
  const counter = async (name: string) => (await registry.getSingleMetric(name)!.get()).values.reduce((sum, v) => sum + v.value, 0);
  return { calls, letters, failed, deliver, counter };
}

describe('randomusers handler', () => {
  it('commits the next offset only after the chunk is stored', async () => {
    const h = harness(async () => ({ kind: 'stored', inserted: 10, completedJob: true }));
    await h.deliver(encodeMessage(Topics.userCreateBulk, chunk));
    expect(h.calls).toEqual(['process', 'commit 42']);
  });

  it('counts the users of a redelivered chunk that were already stored apart from the new ones', async () => {
    const h = harness(async () => ({ kind: 'stored', inserted: 4, completedJob: false }));
    await h.deliver(encodeMessage(Topics.userCreateBulk, chunk));
    expect([await h.counter('userforge_users_generated_total'), await h.counter('userforge_users_already_stored_total')]).toEqual([4, 6]);
  });

  it('dead-letters a malformed message with the reason and commits it, without processing', async () => {
    const h = harness(async () => ({ kind: 'stored', inserted: 0, completedJob: false }));
    await h.deliver('{"v":1');
    expect(h.calls).toEqual(['dead-letter', 'commit 42']);
    expect(h.letters[0]).toMatchObject({ reason: 'invalid_message', error: 'not JSON', source: { partition: 3, offset: '41', key: 'k' } });
  });

  it('retries a failing chunk, then dead-letters it and fails its job before committing', async () => {
    const h = harness(async () => {
      throw new TypeError('cannot read x of undefined');
    });
    await h.deliver(encodeMessage(Topics.userCreateBulk, chunk));
    expect(h.calls).toEqual(['process', 'process', 'dead-letter', 'fail-job', 'commit 42']);
    expect(h.failed).toEqual([chunk.jobId]);
    expect(h.letters[0]!.error).toMatch(/cannot read x of undefined/);
  });

  it('hands the chunk back uncommitted when the group rebalances mid-chunk', async () => {
    const rebalance = Object.assign(new Error('The group is rebalancing'), { name: 'KafkaJSProtocolError', type: 'REBALANCE_IN_PROGRESS' });
    const h = harness(async () => {
      throw rebalance;
    });
    await expect(h.deliver(encodeMessage(Topics.userCreateBulk, chunk))).rejects.toBe(rebalance);
    expect(h.calls).toEqual(['process']);
  });

  it('skips chunks of cancelled jobs but still commits them', async () => {
    const h = harness(async () => ({ kind: 'skipped', reason: 'job is cancelled' }));
    await h.deliver(encodeMessage(Topics.userCreateBulk, chunk));
    expect(h.calls).toEqual(['process', 'commit 42']);
  });
});
