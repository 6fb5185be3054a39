import type { Collection, Db } from 'mongodb';
import type { JobState } from '@userforge/contracts';
import type { JobDocument } from './job-view';
import { usersInDoneChunks } from './plan';

interface ChunkMarker {
  _id: string;
  jobId: string;
  chunkIndex: number;
  users: number;
  doneAt: Date;
}

const ACTIVE: JobState[] = ['publishing', 'running'];

/** Data access for jobs, their per-chunk completion markers, and the global user sequence. */
export class JobRepository {
  private readonly jobs: Collection<JobDocument>;
  private readonly chunks: Collection<ChunkMarker>;
  private readonly counters: Collection<{ _id: string; next: number }>;

  constructor(db: Db) {
    this.jobs = db.collection<JobDocument>('jobs');
    this.chunks = db.collection<ChunkMarker>('job_chunks');
    this.counters = db.collection<{ _id: string; next: number }>('counters');
  }

  async ensureIndexes(): Promise<void> {
    await this.jobs.createIndex({ createdAt: -1 }, { name: 'jobs_newest_first' });
    await this.jobs.createIndex({ state: 1 }, { name: 'jobs_by_state' });
    await this.chunks.createIndex({ jobId: 1 }, { name: 'chunks_by_job' });
  }

  /** Reserves `count` consecutive global sequence numbers; returns the first. */
  async reserveSequence(count: number): Promise<number> {
    const before = await this.counters.findOneAndUpdate(
      { _id: 'userSeq' },
      { $inc: { next: count } },
      { upsert: true, returnDocument: 'before' },
    );
    return before?.next ?? 0;
  }

  async insert(job: JobDocument): Promise<void> {
    await this.jobs.insertOne(job);
  }

  findById(id: string): Promise<JobDocument | null> {
    return this.jobs.findOne({ _id: id });
  }

  async list(page: number, limit: number): Promise<{ jobs: JobDocument[]; total: number }> {
    const [jobs, total] = await Promise.all([
      this.jobs.find({}).sort({ createdAt: -1, _id: -1 }).skip((page - 1) * limit).limit(limit).toArray(),
      this.jobs.countDocuments({}),
    ]);
    return { jobs, total };
  }

  findActive(limit = 50): Promise<JobDocument[]> {
    return this.jobs.find({ state: { $in: ACTIVE } }).sort({ createdAt: -1 }).limit(limit).toArray();
  }

  /** Jobs whose chunks are still being published and whose publisher's lease has run out. */
  findOrphanedPublishing(now: Date): Promise<JobDocument[]> {
    return this.jobs.find({ state: 'publishing', $or: [{ lease: null }, { 'lease.until': { $lt: now } }] }).toArray();
  }

  /** Takes or renews the right to publish a job's chunks. False if another live publisher has it. */
  async claimPublishing(id: string, owner: string, now: Date, leaseMs: number): Promise<boolean> {
    const res = await this.jobs.updateOne(
      { _id: id, state: 'publishing', $or: [{ lease: null }, { 'lease.owner': owner }, { 'lease.until': { $lt: now } }] },
      { $set: { lease: { owner, until: new Date(now.getTime() + leaseMs) }, updatedAt: now } },
    );
    return res.matchedCount === 1;
  }

  /** Records publishing progress (monotonic) and renews the lease. Returns the job, or null if it is no longer publishing. */
  async markPublished(id: string, owner: string, chunksPublished: number, now: Date, leaseMs: number): Promise<JobDocument | null> {
    return this.jobs.findOneAndUpdate(
      { _id: id, state: 'publishing', 'lease.owner': owner },
      {
        $max: { chunksPublished },
        $set: { lease: { owner, until: new Date(now.getTime() + leaseMs) }, updatedAt: now },
      },
      { returnDocument: 'after' },
    );
  }

  /** Gives up this publisher's leases (on shutdown) so another instance adopts the jobs at once. */
  async releaseLeases(owner: string): Promise<void> {
    await this.jobs.updateMany({ state: 'publishing', 'lease.owner': owner }, { $set: { lease: null } });
  }

  /** publishing → running, once every chunk is on Kafka (a job that already finished stays finished). */
  async markRunning(id: string, now: Date): Promise<JobDocument | null> {
    return this.jobs.findOneAndUpdate(
      { _id: id, state: 'publishing' },
      { $set: { state: 'running', lease: null, updatedAt: now } },
      { returnDocument: 'after' },
    );
  }

  /** Cancels an active job. Null if it does not exist or is already finished. */
  async cancel(id: string, now: Date): Promise<JobDocument | null> {
    return this.jobs.findOneAndUpdate(
      { _id: id, state: { $in: ACTIVE } },
      { $set: { state: 'cancelled', finishedAt: now, updatedAt: now, lease: null } },
      { returnDocument: 'after' },
    );
  }

  async stateOf(id: string): Promise<JobState | null> {
    const job = await this.jobs.findOne({ _id: id }, { projection: { state: 1 } });
    return job?.state ?? null;
  }

  /**
   * Records that a chunk's users are durably stored, idempotently: the marker is written once
   * however often the chunk is delivered, and the job's counters are recomputed from the markers
   * (monotonic `$max`; users are derived from the chunk count because FerretDB's `$sum` of a field
   * path yields 0), so a crash between any two steps is repaired by the redelivery. The job
   * becomes `succeeded` through a conditional update, which exactly one caller wins.
   */
  async recordChunkDone(
    marker: { jobId: string; chunkIndex: number; count: number },
    now: Date,
  ): Promise<{ job: JobDocument | null; firstTime: boolean; completed: boolean }> {
    const { jobId, chunkIndex, count } = marker;
    const upsert = await this.chunks.updateOne(
      { _id: `${jobId}:${chunkIndex}` },
      { $setOnInsert: { jobId, chunkIndex, users: count, doneAt: now } },
      { upsert: true },
    );
    const current = await this.jobs.findOne({ _id: jobId }, { projection: { count: 1, chunkSize: 1, chunksTotal: 1 } });
    if (!current) return { job: null, firstTime: upsert.upsertedCount === 1, completed: false };
    const lastChunk = `${jobId}:${current.chunksTotal - 1}`;
    const [chunksDone, lastDone] = await Promise.all([
      this.chunks.countDocuments({ jobId }),
      this.chunks.countDocuments({ _id: lastChunk }),
    ]);
    const usersStored = usersInDoneChunks(current, chunksDone, lastDone === 1);
    let job = await this.jobs.findOneAndUpdate(
      { _id: jobId },
      { $max: { chunksDone, usersStored }, $set: { updatedAt: now } },
      { returnDocument: 'after' },
    );
    let completed = false;
    if (job && chunksDone === job.chunksTotal) {
      const finished = await this.jobs.findOneAndUpdate(
        { _id: jobId, state: { $in: ACTIVE } },
        { $set: { state: 'succeeded', finishedAt: now, updatedAt: now, lease: null } },
        { returnDocument: 'after' },
      );
      if (finished) {
        job = finished;
        completed = true;
      }
    }
    return { job, firstTime: upsert.upsertedCount === 1, completed };
  }
}
