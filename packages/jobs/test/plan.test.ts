import { MAX_CHUNKS_PER_JOB } from '@userforge/contracts';
import { DEFAULT_CHUNK_SIZE, chunkKey, chunkMessage, partitionFor, planJob, usersInDoneChunks, type ChunkSource } from '../src/domain/plan';

function aSource(count: number, chunkSize?: number): ChunkSource {
  return {
    ...planJob(count, chunkSize),
    id: 'a'.repeat(24),
    seed: 42,
    seqBase: 1_000_000,
    locale: 'de',
    createdAt: new Date('2025-03-04T05:06:07.089Z'),
  };
}

describe('planJob', () => {
  it('uses the default chunk size and rounds the chunk count up', () => {
    expect(DEFAULT_CHUNK_SIZE).toBe(10_000);
    expect(planJob(25_001)).toEqual({ count: 25_001, chunkSize: 10_000, chunksTotal: 3 });
    expect(planJob(10_000)).toEqual({ count: 10_000, chunkSize: 10_000, chunksTotal: 1 });
    expect(planJob(1)).toEqual({ count: 1, chunkSize: 10_000, chunksTotal: 1 });
  });

  it('honours a requested chunk size', () => {
    expect(planJob(1_050, 100)).toEqual({ count: 1_050, chunkSize: 100, chunksTotal: 11 });
  });

  it('raises the chunk size so a huge job stays within MAX_CHUNKS_PER_JOB chunks', () => {
    expect(planJob(1_000_000_000)).toEqual({ count: 1_000_000_000, chunkSize: 100_000, chunksTotal: MAX_CHUNKS_PER_JOB });
    expect(planJob(1_000_000_000, 100)).toEqual({ count: 1_000_000_000, chunkSize: 100_000, chunksTotal: MAX_CHUNKS_PER_JOB });
    const odd = planJob(123_456_789, 100);
    expect(odd.chunkSize).toBe(12_346);
    expect(odd.chunksTotal).toBeLessThanOrEqual(MAX_CHUNKS_PER_JOB);
  });
});

describe('chunkMessage', () => {
  const job = aSource(25_001);

  it('places each chunk at seqBase + chunkIndex * chunkSize', () => {
    expect(chunkMessage(job, 1)).toEqual({
      v: 1,
      jobId: job.id,
      chunkIndex: 1,
      chunksTotal: 3,
      seed: 42,
      seqStart: 1_010_000,
      jobSeqStart: 10_000,
      count: 10_000,
      locale: 'de',
      createdAt: '2025-03-04T05:06:07.089Z',
    });
  });

  it('gives the last chunk only the remaining users', () => {
    expect(chunkMessage(job, 0)).toMatchObject({ seqStart: 1_000_000, jobSeqStart: 0, count: 10_000 });
    expect(chunkMessage(job, 2)).toMatchObject({ seqStart: 1_020_000, jobSeqStart: 20_000, count: 5_001 });
  });
});

describe('partitionFor and chunkKey', () => {
  it('spreads chunks evenly over partitions', () => {
    const perPartition = new Array<number>(12).fill(0);
    for (let i = 0; i < 1_200; i++) {
      const p = partitionFor(i, 12);
      perPartition[p] = (perPartition[p] ?? 0) + 1;
    }
    expect(perPartition).toEqual(new Array<number>(12).fill(100));
  });

  it('keys a chunk by job id and index', () => {
    expect(chunkKey('abc', 7)).toBe('abc:7');
  });
});

describe('usersInDoneChunks', () => {
  it.each([
    [1, undefined],
    [100, 100],
    [1_050, 100],
    [25_001, undefined],
    [12_345, 500],
    [3_000_001, 1_000],
  ])('matches the summed chunk counts for count %d, chunk size %s', (count, chunkSize) => {
    const job = aSource(count, chunkSize);
    const counts = Array.from({ length: job.chunksTotal }, (_, i) => chunkMessage(job, i).count);
    const last = counts[counts.length - 1] ?? 0;
    let firstN = 0;
    for (let n = 1; n <= job.chunksTotal; n++) {
      const firstNMinusOne = firstN;
      firstN += counts[n - 1] ?? 0;
      expect(usersInDoneChunks(job, n, n === job.chunksTotal)).toBe(firstN);
      expect(usersInDoneChunks(job, n, true)).toBe(firstNMinusOne + last);
    }
    expect(firstN).toBe(count);
    expect(usersInDoneChunks(job, 0, false)).toBe(0);
    // Reads that disagree (the last chunk seen done, no completion counted yet) never go below zero.
    expect(usersInDoneChunks(job, 0, true)).toBe(last);
    expect(usersInDoneChunks(job, job.chunksTotal + 3, false)).toBeLessThanOrEqual(count);
  });
});
