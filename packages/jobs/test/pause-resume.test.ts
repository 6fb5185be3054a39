import { AppError } from '@userforge/platform';
import { JobRepository, cancelJob, createJob, pauseJob, publishJob, resumeJob, type ChunkSender } from '../src';
import { openJobStore, type RecordingJobStore } from './job-store';

/** Pausing and resuming a job's publishing (a suspended UserGenerationJob), against the real database. */
describe('pauseJob and resumeJob (real database)', () => {
  let store: RecordingJobStore;
  let jobs: JobRepository;
  let deps: RecordingJobStore['deps'];

  beforeAll(async () => {
    store = await openJobStore('pause_resume');
    ({ deps } = store);
    jobs = store.jobs;
  });

  afterAll(() => store.close());

  /** Records every chunk sent; `during(batch)` runs after a batch is sent, before the publisher records it. */
  function recordingSender(during: (batch: number) => Promise<void> = async () => undefined): ChunkSender & { keys: string[] } {
    const keys: string[] = [];
    let batch = 0;
    return {
      keys,
      async send(messages) {
        keys.push(...messages.map((m) => m.key));
        await during(++batch);
      },
    };
  }

  const publish = (sender: ChunkSender, jobId: string, owner = 'test-publisher') => publishJob({ jobs, sender, partitions: 4, owner, batchSize: 10 }, jobId);

  it('pausing stops the publisher after the batch at hand; resuming publishes the rest from there, every chunk once, and the job succeeds', async () => {
    const job = await createJob(jobs, { count: 5_000, chunkSize: 100, seed: 1 }); // 50 chunks, 5 batches of 10
    const sender = recordingSender(async (batch) => {
      if (batch === 2) await pauseJob(deps, job._id);
    });
    const stopped = await publish(sender, job._id);
    expect(stopped).toMatchObject({ state: 'paused', chunksPublished: 20, lease: null });
    expect(sender.keys).toHaveLength(20);
    expect(deps.announced.at(-1)).toMatchObject({ id: job._id, state: 'paused' });
    // Paused jobs are still at work (deleting the resource cancels them), but nobody adopts their publishing.
    expect((await jobs.findActive()).map((j) => j._id)).toContain(job._id);
    expect((await jobs.findOrphanedPublishing(new Date(Date.now() + 3_600_000))).map((j) => j._id)).not.toContain(job._id);
    expect(await publish(recordingSender(), job._id, 'another-publisher')).toMatchObject({ state: 'paused', chunksPublished: 20 });

    // The chunks already published are still stored, but their completion does not end the job.
    for (let i = 0; i < 20; i++) await jobs.recordChunkDone({ jobId: job._id, chunkIndex: i, count: 100 }, new Date());
    expect(await jobs.findById(job._id)).toMatchObject({ state: 'paused', chunksDone: 20, usersStored: 2_000 });
    // Pausing again is harmless.
    expect(await pauseJob(deps, job._id)).toMatchObject({ state: 'paused' });

    const resumed = await resumeJob(deps, job._id);
    expect(resumed).toMatchObject({ state: 'publishing', chunksPublished: 20 });
    expect(deps.scheduled).toContain(job._id);
    const rest = recordingSender();
    expect(await publish(rest, job._id)).toMatchObject({ state: 'running', chunksPublished: 50 });
    const all = [...sender.keys, ...rest.keys];
    expect(all).toHaveLength(50);
    expect(new Set(all).size).toBe(50);
    for (let i = 20; i < 50; i++) await jobs.recordChunkDone({ jobId: job._id, chunkIndex: i, count: 100 }, new Date());
    expect(await jobs.findById(job._id)).toMatchObject({ state: 'succeeded', chunksDone: 50, usersStored: 5_000 });
  });

  it('only publishing pauses: a running job (every chunk published) or an ended one is a 409, an unknown one a 404', async () => {
    const running = await createJob(jobs, { count: 300, chunkSize: 100, seed: 2 });
    await publish(recordingSender(), running._id);
    expect(await jobs.stateOf(running._id)).toBe('running');
    await expect(pauseJob(deps, running._id)).rejects.toMatchObject({ status: 409, code: 'job_not_publishing' });
    await expect(resumeJob(deps, running._id)).rejects.toMatchObject({ status: 409 });
    await cancelJob(deps, running._id);
    await expect(pauseJob(deps, running._id)).rejects.toMatchObject({ status: 409 });
    const unknown = await pauseJob(deps, 'f'.repeat(24)).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(AppError);
    expect(unknown).toMatchObject({ status: 404 });
  });

  it('a paused job can be cancelled, and stays cancelled when resumed', async () => {
    const job = await createJob(jobs, { count: 1_000, chunkSize: 100, seed: 3 });
    await pauseJob(deps, job._id);
    expect(await cancelJob(deps, job._id)).toMatchObject({ state: 'cancelled' });
    await expect(resumeJob(deps, job._id)).rejects.toMatchObject({ status: 409 });
    expect(await jobs.stateOf(job._id)).toBe('cancelled');
  });

  it('a job paused once every chunk was on Kafka succeeds when they are all stored: exactly its users, nothing left to resume', async () => {
    const job = await createJob(jobs, { count: 1_000, chunkSize: 100, seed: 4 }); // 10 chunks: one batch
    const sender = recordingSender(async () => {
      await pauseJob(deps, job._id); // the last batch is on Kafka when the pause lands
    });
    expect(await publish(sender, job._id)).toMatchObject({ state: 'paused', chunksPublished: 10 });
    for (let i = 0; i < 10; i++) await jobs.recordChunkDone({ jobId: job._id, chunkIndex: i, count: 100 }, new Date());
    expect(await jobs.findById(job._id)).toMatchObject({ state: 'succeeded', chunksDone: 10, usersStored: 1_000 });
  });
});
