import type { Collection, Db } from 'mongodb';
import { ACTIVE_STATES, isActiveState, type JobState } from '@userforge/contracts';
import { isDuplicateKey } from '@userforge/platform';
import type { JobDocument, JobOrigin, JobPurgeRecord } from '../domain/job-view';
import { chunkKey, usersInDoneChunks } from '../domain/plan';

/**
 * A chunk's completion. `_id` is the job id and the completion's ordinal (0, 1, 2, … in the order
 * chunks finished, zero-padded so ids sort by ordinal): a job's progress is its highest ordinal + 1,
 * one indexed read however many chunks it has. `chunk` (job id and chunk index, unique) makes a
 * redelivered chunk's second completion fail instead of counting twice.
 */
interface ChunkCompletion {
  _id: string;
  chunk: string;
  jobId: string;
  chunkIndex: number;
  users: number;
  doneAt: Date;
}

const ORDINAL_DIGITS = 6; // MAX_CHUNKS_PER_JOB is 10,000
const completionId = (jobId: string, ordinal: number) => `${jobId}:${String(ordinal).padStart(ORDINAL_DIGITS, '0')}`;

/** How a job ended. Written once: the insert's unique `_id` (the job id) decides who wins. */
interface JobOutcome {
  _id: string;
  state: Extract<JobState, 'succeeded' | 'cancelled' | 'failed'>;
  finishedAt: Date;
  error: string | null;
}

/**
 * A request to pause a job's publishing: present while the job is paused. Pausing inserts it and
 * resuming deletes it, both atomic (unique `_id`, the job id) where a conditional update of the job
 * document is not, and the job document stays its publisher's alone to write.
 */
interface JobPause {
  _id: string;
  pausedAt: Date;
}

/**
 * The purge of a job's users, as far as it has got. Written only by purges (never by the publisher),
 * so it lives apart from the job document; a repeated purge overwrites it with its own progress.
 */
interface JobPurge extends JobPurgeRecord {
  _id: string;
  updatedAt: Date;
}

interface SequenceRange {
  _id: number;
  end: number;
}

/**
 * Data access for jobs. FerretDB applies `update` and `findAndModify` as read-modify-write of the
 * whole document without a lock, so two concurrent conditional updates can both "win" and one
 * write can silently undo the other. Every decision that must be made exactly once is therefore an
 * insert with a unique `_id` (atomic everywhere): a chunk's completion marker, a job's outcome, a
 * reserved range of user sequence numbers. The job document itself only holds what its single
 * publisher writes; progress and final state are derived from chunk completions and outcomes when read,
 * and `paused` from a pause request (JobPause) on a job still publishing.
 */
export class JobRepository {
  private readonly jobs: Collection<JobDocument>;
  private readonly completions: Collection<ChunkCompletion>;
  private readonly outcomes: Collection<JobOutcome>;
  private readonly ranges: Collection<SequenceRange>;
  private readonly pauses: Collection<JobPause>;
  private readonly purges: Collection<JobPurge>;

  constructor(db: Db) {
    this.jobs = db.collection<JobDocument>('jobs');
    // Earlier versions counted `job_chunks` markers by aggregation: a read of every marker per
    // completion, quadratic in a job's chunk count. Jobs recorded there show no progress here.
    this.completions = db.collection<ChunkCompletion>('job_completions');
    this.outcomes = db.collection<JobOutcome>('job_outcomes');
    this.ranges = db.collection<SequenceRange>('sequence_ranges');
    this.pauses = db.collection<JobPause>('job_pauses');
    this.purges = db.collection<JobPurge>('job_purges');
  }

  async ensureIndexes(): Promise<void> {
    await this.jobs.createIndex({ createdAt: -1 }, { name: 'jobs_newest_first' });
    await this.jobs.createIndex({ state: 1 }, { name: 'jobs_by_state' });
    await this.completions.createIndex({ chunk: 1 }, { name: 'completion_once_per_chunk', unique: true });
  }

  /**
   * Reserves `count` consecutive global sequence numbers and returns the first. Ranges are claimed by
   * inserting their start as `_id` right after the highest range; a concurrent claim of the same
   * start fails on the unique key and retries after it.
   */
  async reserveSequence(count: number): Promise<number> {
    for (;;) {
      const [last] = await this.ranges.find({}).sort({ _id: -1 }).limit(1).toArray();
      const start = last?.end ?? 0;
      try {
        await this.ranges.insertOne({ _id: start, end: start + count });
        return start;
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
      }
    }
  }

  async insert(job: JobDocument): Promise<void> {
    await this.jobs.insertOne(job);
  }

  async findById(id: string): Promise<JobDocument | null> {
    const job = await this.jobs.findOne({ _id: id });
    return job ? (await this.withProgress([job]))[0]! : null;
  }

  async list(page: number, limit: number): Promise<{ jobs: JobDocument[]; total: number }> {
    const [jobs, total] = await Promise.all([
      this.jobs.find({}).sort({ createdAt: -1, _id: -1 }).skip((page - 1) * limit).limit(limit).toArray(),
      this.jobs.countDocuments({}),
    ]);
    return { jobs: await this.withProgress(jobs), total };
  }

  /** Jobs still publishing or running (outcome not yet written). */
  async findActive(limit = 50): Promise<JobDocument[]> {
    const jobs = await this.jobs.find({ state: { $in: [...ACTIVE_STATES] } }).sort({ createdAt: -1 }).limit(limit).toArray();
    return (await this.withProgress(jobs)).filter((j) => isActiveState(j.state));
  }

  /** Jobs still at work that a resource of this kind asked for: the operator cancels those whose resource is gone. */
  async activeOf(kind: JobOrigin['kind']): Promise<JobDocument[]> {
    const jobs = await this.jobs.find({ state: { $in: [...ACTIVE_STATES] }, 'origin.kind': kind }).toArray();
    return (await this.withProgress(jobs)).filter((j) => isActiveState(j.state));
  }

  /** The state that counts: the outcome if the job has ended, else the publisher's state (`paused` while a pause holds it). */
  async stateOf(id: string): Promise<JobState | null> {
    const [job, outcome, pause] = await Promise.all([
      this.jobs.findOne({ _id: id }, { projection: { state: 1 } }),
      this.outcomes.findOne({ _id: id }, { projection: { state: 1 } }),
      this.pauses.findOne({ _id: id }, { projection: { _id: 1 } }),
    ]);
    if (!job) return null;
    return effectiveState(job.state, outcome, pause);
  }

  /** Jobs whose chunks are still being published and whose publisher's lease has run out. */
  async findOrphanedPublishing(now: Date): Promise<JobDocument[]> {
    const jobs = await this.jobs.find({ state: 'publishing', $or: [{ lease: null }, { 'lease.until': { $lt: now } }] }).toArray();
    return (await this.withProgress(jobs)).filter((j) => j.state === 'publishing');
  }

  /**
   * Takes or renews the right to publish a job's chunks. Best effort: two publishers adopting the
   * same job at once only publish some chunks twice, which chunks' idempotency makes harmless.
   */
  async claimPublishing(id: string, owner: string, now: Date, leaseMs: number): Promise<boolean> {
    if ((await this.stateOf(id)) !== 'publishing') return false;
    const res = await this.jobs.updateOne(
      { _id: id, state: 'publishing', $or: [{ lease: null }, { 'lease.owner': owner }, { 'lease.until': { $lt: now } }] },
      { $set: { lease: { owner, until: new Date(now.getTime() + leaseMs) }, updatedAt: now } },
    );
    return res.matchedCount === 1;
  }

  /**
   * Records publishing progress and renews the lease. Returns the job, or null if it is no longer
   * publishing nor paused. A paused job's progress is still recorded (those chunks are on Kafka, and
   * resuming starts after them); the publisher stops on seeing it paused.
   */
  async markPublished(id: string, owner: string, chunksPublished: number, now: Date, leaseMs: number): Promise<JobDocument | null> {
    const state = await this.stateOf(id);
    if (state !== 'publishing' && state !== 'paused') return null;
    await this.jobs.updateOne(
      { _id: id, 'lease.owner': owner },
      { $max: { chunksPublished }, $set: { lease: { owner, until: new Date(now.getTime() + leaseMs) }, updatedAt: now } },
    );
    return this.findById(id);
  }

  /** Gives up this publisher's lease of one job (it stopped because the job was paused), so whoever resumes it publishes at once. */
  async releaseLease(id: string, owner: string): Promise<void> {
    await this.jobs.updateOne({ _id: id, 'lease.owner': owner }, { $set: { lease: null } });
  }

  /**
   * publishing → paused: no more chunks are published until `resume`; chunks already published are
   * still stored. Returns the paused job (also when it was paused already), or null if it does not
   * exist or is not publishing: a `running` job has every chunk published, nothing left to pause.
   */
  async pause(id: string, now: Date): Promise<JobDocument | null> {
    const state = await this.stateOf(id);
    if (state === 'paused') return this.findById(id);
    if (state !== 'publishing') return null;
    try {
      await this.pauses.insertOne({ _id: id, pausedAt: now });
    } catch (err) {
      if (!isDuplicateKey(err)) throw err; // paused at once by someone else: paused all the same
    }
    // The publisher may have published the last chunk meanwhile (running): the pause then holds nothing.
    const job = await this.findById(id);
    return job?.state === 'paused' ? job : null;
  }

  /** paused → publishing. Returns the job publishing again (also when it was not paused), or null if it does not exist or is not publishing. */
  async resume(id: string, _now: Date): Promise<JobDocument | null> {
    await this.pauses.deleteOne({ _id: id });
    const job = await this.findById(id);
    return job?.state === 'publishing' ? job : null;
  }

  /** publishing → running, once every chunk is on Kafka. */
  async markRunning(id: string, now: Date): Promise<JobDocument | null> {
    await this.jobs.updateOne({ _id: id, state: 'publishing' }, { $set: { state: 'running', lease: null, updatedAt: now } });
    return this.findById(id);
  }

  /** Gives up this publisher's leases (on shutdown) so another instance adopts the jobs at once. */
  async releaseLeases(owner: string): Promise<void> {
    await this.jobs.updateMany({ state: 'publishing', 'lease.owner': owner }, { $set: { lease: null } });
  }

  /** Cancels an active job. Null if it does not exist or has already ended. */
  cancel(id: string, now: Date): Promise<JobDocument | null> {
    return this.settle(id, { state: 'cancelled', finishedAt: now, error: null });
  }

  /** Ends an active job as failed (a chunk of it can never be stored). Null if it already ended. */
  markFailed(id: string, error: string, now: Date): Promise<JobDocument | null> {
    return this.settle(id, { state: 'failed', finishedAt: now, error });
  }

  /**
   * Records that a chunk's users are durably stored: its completion takes the next free ordinal
   * (a concurrent completion that took the same one makes the insert fail, and it retries after it),
   * and the unique `chunk` makes that happen once however often the chunk is delivered. The consumer
   * that sees every chunk complete writes the `succeeded` outcome; if several see it at once the
   * unique outcome id lets exactly one of them win.
   */
  async recordChunkDone(
    marker: { jobId: string; chunkIndex: number; count: number },
    now: Date,
  ): Promise<{ job: JobDocument | null; completed: boolean }> {
    const { jobId, chunkIndex, count } = marker;
    const chunk = chunkKey(jobId, chunkIndex);
    for (;;) {
      const ordinal = await this.completedChunks(jobId);
      try {
        await this.completions.insertOne({ _id: completionId(jobId, ordinal), chunk, jobId, chunkIndex, users: count, doneAt: now });
        break;
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
        // Either this chunk was recorded by an earlier delivery, or another chunk took the ordinal.
        if (await this.completions.findOne({ chunk }, { projection: { _id: 1 } })) break;
      }
    }
    let job = await this.findById(jobId);
    let completed = false;
    // Every chunk stored means every chunk was published, paused or not: a job paused once its last
    // chunks were already on Kafka has nothing left to resume, and succeeds with exactly its users.
    if (job && job.chunksDone === job.chunksTotal && isActiveState(job.state)) {
      const settled = await this.settle(jobId, { state: 'succeeded', finishedAt: now, error: null });
      if (settled) {
        job = settled;
        completed = true;
      }
    }
    return { job, completed };
  }

  /** Records how far the purge of a job's users has got (shown in the job view). */
  async recordPurge(id: string, purge: JobPurgeRecord, now: Date): Promise<void> {
    const { state, deleted, remaining, window } = purge;
    await this.purges.updateOne({ _id: id }, { $set: { state, deleted, remaining, window, updatedAt: now } }, { upsert: true });
  }

  /** Writes a job's outcome if it has none yet. Returns the ended job, or null if it did not exist or had already ended. */
  private async settle(id: string, outcome: Omit<JobOutcome, '_id'>): Promise<JobDocument | null> {
    const job = await this.jobs.findOne({ _id: id });
    if (!job) return null;
    try {
      await this.outcomes.insertOne({ _id: id, ...outcome });
    } catch (err) {
      if (isDuplicateKey(err)) return null;
      throw err;
    }
    await this.pauses.deleteOne({ _id: id }); // no longer of use once ended (an ended job ignores it anyway)
    // A convenience copy for anyone reading the raw document; readers here use the outcome.
    await this.jobs.updateOne({ _id: id }, { $set: { state: outcome.state, finishedAt: outcome.finishedAt, error: outcome.error, lease: null, updatedAt: outcome.finishedAt } });
    return this.findById(id);
  }

  /** How many of a job's chunks are complete: its highest completion ordinal + 1 (ordinals have no gaps). */
  private async completedChunks(jobId: string): Promise<number> {
    const [last] = await this.completions
      .find({ _id: { $gte: `${jobId}:`, $lt: `${jobId};` } }, { projection: { _id: 1 } })
      .sort({ _id: -1 })
      .limit(1)
      .toArray();
    return last ? Number(last._id.slice(jobId.length + 1)) + 1 : 0;
  }

  /** Merges each job's outcome and its progress (from the chunk completions) into the document. */
  private async withProgress(jobs: JobDocument[]): Promise<JobDocument[]> {
    if (jobs.length === 0) return [];
    const ids = jobs.map((j) => j._id);
    // Whether the last chunk is done is read before the counts: completions only ever grow, so a count
    // read after it includes it (read at once, a count could miss what the other read saw).
    // One job (the common read) by equality: FerretDB serves `$in` by scanning the collection.
    const lastChunks = jobs.map((j) => chunkKey(j._id, j.chunksTotal - 1));
    const byId = ids.length === 1 ? { _id: ids[0]! } : { _id: { $in: ids } };
    const [outcomes, pauses, purges, lastDone] = await Promise.all([
      this.outcomes.find(byId).toArray(),
      this.pauses.find(byId).toArray(),
      this.purges.find(byId).toArray(),
      this.completions.find(lastChunks.length === 1 ? { chunk: lastChunks[0]! } : { chunk: { $in: lastChunks } }, { projection: { jobId: 1 } }).toArray(),
    ]);
    const done = await Promise.all(ids.map((id) => this.completedChunks(id)));
    const outcomeOf = new Map(outcomes.map((o) => [o._id, o]));
    const pauseOf = new Map(pauses.map((p) => [p._id, p]));
    const purgeOf = new Map(purges.map(({ _id, state, deleted, remaining, window }) => [_id, { state, deleted, remaining, window }]));
    const doneOf = new Map(ids.map((id, i) => [id, done[i]!]));
    const lastDoneOf = new Set(lastDone.map((m) => m.jobId));
    return jobs.map((job) => {
      const chunksDone = doneOf.get(job._id) ?? 0;
      const outcome = outcomeOf.get(job._id);
      const state = effectiveState(job.state, outcome, pauseOf.get(job._id));
      const pausedAt = state === 'paused' ? pauseOf.get(job._id)!.pausedAt : null;
      return {
        ...job,
        chunksDone,
        usersStored: usersInDoneChunks(job, chunksDone, lastDoneOf.has(job._id)),
        // Consumers can finish every chunk before the publisher records its last batch.
        chunksPublished: outcome?.state === 'succeeded' ? job.chunksTotal : job.chunksPublished,
        state,
        updatedAt: pausedAt && pausedAt > job.updatedAt ? pausedAt : job.updatedAt,
        finishedAt: outcome?.finishedAt ?? null,
        error: outcome?.error ?? null,
        lease: outcome ? null : job.lease,
        ...(purgeOf.has(job._id) ? { purge: purgeOf.get(job._id)! } : {}),
      };
    });
  }
}

/**
 * The outcome if the job has ended; else `paused` while a pause holds a job still publishing; else
 * the publisher's state. A pause that raced with the last chunk's publishing (the job is `running`)
 * holds nothing: only publishing pauses.
 */
function effectiveState(stored: JobState, outcome: Pick<JobOutcome, 'state'> | null | undefined, pause: unknown): JobState {
  if (outcome) return outcome.state;
  return stored === 'publishing' && pause ? 'paused' : stored;
}
