import type { JobDocument } from '../src/domain/job-view';
import { toJobView } from '../src/domain/job-view';

const NOW = new Date('2025-06-01T12:00:00.000Z');
const secondsBefore = (s: number) => new Date(NOW.getTime() - s * 1000);

function aJob(overrides: Partial<JobDocument> = {}): JobDocument {
  return {
    _id: 'b'.repeat(24),
    state: 'running',
    count: 10_000,
    seed: 7,
    chunkSize: 1_000,
    chunksTotal: 10,
    chunksPublished: 10,
    chunksDone: 0,
    usersStored: 0,
    locale: 'en',
    seqBase: 0,
    createdAt: secondsBefore(12),
    startedAt: secondsBefore(10),
    finishedAt: null,
    updatedAt: secondsBefore(1),
    error: null,
    lease: null,
    ...overrides,
  };
}

describe('toJobView', () => {
  it('derives the rate and the ETA from startedAt and now', () => {
    const view = toJobView(aJob({ usersStored: 5_000, chunksDone: 5 }), NOW);
    expect(view).toMatchObject({ usersPerSec: 500, etaSeconds: 10, progress: 0.5, chunksDone: 5, usersStored: 5_000 });
  });

  it('rounds the rate and rounds the ETA up', () => {
    const view = toJobView(aJob({ count: 10_500, usersStored: 1_000, startedAt: secondsBefore(3) }), NOW);
    expect(view.usersPerSec).toBe(333);
    expect(view.etaSeconds).toBe(29);
  });

  it('measures a finished job up to finishedAt, not now', () => {
    const view = toJobView(aJob({ state: 'succeeded', usersStored: 10_000, startedAt: secondsBefore(100), finishedAt: secondsBefore(80) }), NOW);
    expect(view.usersPerSec).toBe(500);
    expect(view.etaSeconds).toBeNull();
    expect(view.progress).toBe(1);
  });

  it.each(['succeeded', 'cancelled', 'failed'] as const)('has no ETA once %s', (state) => {
    expect(toJobView(aJob({ state, usersStored: 5_000 }), NOW).etaSeconds).toBeNull();
  });

  it('has no ETA while nothing is stored or the job has not started', () => {
    expect(toJobView(aJob({ usersStored: 0 }), NOW)).toMatchObject({ usersPerSec: 0, etaSeconds: null, progress: 0 });
    expect(toJobView(aJob({ state: 'publishing', usersStored: 5_000, startedAt: null }), NOW)).toMatchObject({ usersPerSec: 0, etaSeconds: null });
  });

  it('caps progress at 1', () => {
    expect(toJobView(aJob({ state: 'succeeded', usersStored: 12_000 }), NOW).progress).toBe(1);
  });

  it('serialises dates as ISO strings and copies the identity fields', () => {
    const finishedAt = secondsBefore(2);
    const view = toJobView(aJob({ state: 'failed', finishedAt, error: 'boom' }), NOW);
    expect(view).toMatchObject({
      id: 'b'.repeat(24),
      state: 'failed',
      count: 10_000,
      seed: 7,
      chunkSize: 1_000,
      locale: 'en',
      chunksTotal: 10,
      chunksPublished: 10,
      createdAt: '2025-06-01T11:59:48.000Z',
      startedAt: '2025-06-01T11:59:50.000Z',
      finishedAt: '2025-06-01T11:59:58.000Z',
      updatedAt: '2025-06-01T11:59:59.000Z',
      error: 'boom',
    });
    expect(toJobView(aJob({ startedAt: null }), NOW).startedAt).toBeNull();
  });
});
