import { Topics, isActiveState, type JobState, type PurgeView } from '@userforge/contracts';
import { AppError } from '@userforge/platform';
import { TallyBuilder, type TallyDelta } from './tally';
import { nextEventTime, type UserEvent } from './user-outbox';

/**
 * Purging a job's users: the one use case behind `DELETE /v1/jobs/{id}/users` (and, later, a
 * UserGenerationJob's `reclaimPolicy: Delete`). A job's users are exactly its reserved sequence range,
 * so the purge walks that range in fixed windows and removes each window the way a single-user
 * DELETE removes a user: its `user.deleted.single` events stored first, its tally delta recorded, the
 * users deleted, the events made ready for the relay. Each window's delta has an id of its own
 * (`purge:<job>:<window>`), so a purge repeated after a crash counts no window twice.
 */

/** Users per window: one tally delta, one bulk of events and one delete each. */
export const PURGE_WINDOW = 1_000;

/** What removing a user takes: its id, sequence number, the tallied fields, and its last change (to date its event). */
export interface PurgedUser {
  id: string;
  seq: number;
  gender: string;
  address: { country: string };
  updatedAt: Date;
}

/** What a purge reads of its job (a JobRepository's job document has it). */
export interface PurgeableJob {
  _id: string;
  state: JobState;
  seqBase: number;
  count: number;
  purge?: PurgeRecord;
}

/** A purge's progress as recorded on its job, with the window size it began with (kept by every repeat). */
export interface PurgeRecord extends PurgeView {
  window: number;
}

export interface PurgeDeps {
  jobs: {
    findById(id: string): Promise<PurgeableJob | null>;
    /** Records how far the purge has got; shown in the job view. */
    recordPurge(id: string, purge: PurgeRecord, now: Date): Promise<void>;
  };
  users: {
    inSeqRange(from: number, to: number): Promise<PurgedUser[]>;
    firstSeqIn(from: number, to: number): Promise<number | null>;
    countInSeqRange(from: number, to: number): Promise<number>;
    /** Deletes exactly the users with these ids (all within [from, to)); returns how many went. */
    deleteInSeqRange(from: number, to: number, ids: string[]): Promise<number>;
  };
  /** Where changes to the user counts are recorded (the tally repository). */
  tally: { record(delta: TallyDelta): Promise<unknown> };
  /** Where the deletions' events wait for the relay (the outbox repository). */
  outbox: {
    addMany(events: UserEvent[], state?: 'pending' | 'ready'): Promise<string[]>;
    /** Returns the ids no longer there (resolved by the relay as stale meanwhile). */
    markReadyMany(ids: string[]): Promise<string[]>;
  };
  /** Wakes the relay when events are ready (it also polls). */
  relay: { nudge(): void };
  /** Hides cached listings: the delta bumps their version before the users go, so once more after. */
  invalidateListings(): Promise<void>;
  now?: () => Date;
  /** Users per window of a purge that begins now (PURGE_WINDOW by default); a purge under way keeps its own. */
  windowSize?: number;
}

/** A purge about to run: the job's sequence range, its window size and its progress so far. */
export interface PurgePlan {
  jobId: string;
  from: number;
  to: number;
  window: number;
  progress: PurgeView;
}

export interface PurgeOptions {
  /** Called after every window and once at the end (the job view and its SSE event, an operator's status). */
  onProgress?: (progress: PurgeView) => void | Promise<void>;
  /** Stops between windows (shutdown); the purge stays `purging` until repeated. */
  signal?: AbortSignal;
}

/** Why a job's users may not be purged now, or null: a job still at work would go on storing users. */
export function purgeRefusal(jobId: string, state: JobState): AppError | null {
  if (!isActiveState(state)) return null;
  return new AppError('job_active', `job ${jobId} is ${state}: cancel it first (POST /v1/jobs/${jobId}/cancel), then purge its users`, 409);
}

/** The job's reserved sequence numbers: [from, to). */
export function seqRangeOf(job: Pick<PurgeableJob, 'seqBase' | 'count'>): { from: number; to: number } {
  return { from: job.seqBase, to: job.seqBase + job.count };
}

/** The fixed window holding `seq`: windows start at the range's start, so a repeated purge meets the same ones. */
export function windowAt(range: { from: number; to: number }, seq: number, size: number): { index: number; from: number; to: number } {
  const index = Math.floor((seq - range.from) / size);
  const from = range.from + index * size;
  return { index, from, to: Math.min(from + size, range.to) };
}

/** The tally delta that takes a window's users out of the counts: its id is the same whenever the window is purged. */
export function purgeDelta(jobId: string, windowIndex: number, users: readonly PurgedUser[], at: Date): TallyDelta {
  const builder = new TallyBuilder(-1);
  for (const user of users) builder.add(user);
  return builder.build(`purge:${jobId}:${windowIndex}`, at);
}

/** The event announcing a purged user's deletion: the same message a single-user DELETE sends. */
export function deletedEvent(user: Pick<PurgedUser, 'id' | 'updatedAt'>, now: Date): UserEvent {
  return { userId: user.id, topic: Topics.userDeletedSingle, message: { v: 1, userId: user.id, at: now.toISOString() }, at: nextEventTime(now, user.updatedAt) };
}

/**
 * Checks the job may be purged (404 unknown, 409 still at work), counts its users still stored and
 * records the purge as begun — or as done, when none is left (a repeated purge of a purged job).
 */
export async function beginPurge(deps: PurgeDeps, jobId: string): Promise<PurgePlan> {
  const job = await deps.jobs.findById(jobId);
  if (!job) throw AppError.notFound(`job ${jobId} not found`);
  const refusal = purgeRefusal(jobId, job.state);
  if (refusal) throw refusal;
  const { from, to } = seqRangeOf(job);
  // A delta's id names its window, so a purge keeps the size its first attempt chose, whatever this process is set to.
  const window = job.purge?.window ?? deps.windowSize ?? PURGE_WINDOW;
  const remaining = await deps.users.countInSeqRange(from, to);
  const progress: PurgeView = { state: remaining === 0 ? 'purged' : 'purging', deleted: job.purge?.deleted ?? 0, remaining };
  await deps.jobs.recordPurge(jobId, { ...progress, window }, now(deps));
  return { jobId, from, to, window, progress };
}

/**
 * Removes every user of the plan's range, window by window, recording progress after each. Safe to
 * run again after it stopped anywhere (a crash, a shutdown): what is gone is skipped, and a window
 * whose delta was recorded before its users went is recorded no second time.
 */
export async function purgeJobUsers(deps: PurgeDeps, plan: PurgePlan, opts: PurgeOptions = {}): Promise<PurgeView> {
  let { deleted, remaining } = plan.progress;
  const report = async (progress: PurgeView) => {
    await deps.jobs.recordPurge(plan.jobId, { ...progress, window: plan.window }, now(deps));
    await opts.onProgress?.(progress);
    return progress;
  };
  for (let cursor = plan.from; ; ) {
    if (opts.signal?.aborted) return { state: 'purging', deleted, remaining };
    const first = await deps.users.firstSeqIn(cursor, plan.to);
    if (first === null) break;
    const window = windowAt(plan, first, plan.window);
    const gone = await purgeWindow(deps, plan.jobId, window);
    deleted += gone;
    remaining = Math.max(0, remaining - gone);
    cursor = window.to;
    await report({ state: 'purging', deleted, remaining });
  }
  return report({ state: 'purged', deleted, remaining: 0 });
}

async function purgeWindow(deps: PurgeDeps, jobId: string, window: { index: number; from: number; to: number }): Promise<number> {
  const at = now(deps);
  const users = await deps.users.inSeqRange(window.from, window.to);
  if (!users.length) return 0;
  // Write-ahead, as for one user: a crash from here on leaves pending events the relay resolves from
  // whether each user still exists (gone: published; there: dropped, and a repeated purge adds new ones).
  const events = users.map((user) => deletedEvent(user, at));
  const eventIds = await deps.outbox.addMany(events);
  // Before the delete: once the users are gone nothing would say which were counted. A crash in
  // between leaves the counts ahead of the data until the purge is repeated, which finds the same
  // window and the same delta id (ignored by the tally), then deletes.
  await deps.tally.record(purgeDelta(jobId, window.index, users, at));
  const gone = await deps.users.deleteInSeqRange(window.from, window.to, users.map((u) => u.id));
  await deps.invalidateListings();
  const missing = new Set(await deps.outbox.markReadyMany(eventIds));
  if (missing.size) await deps.outbox.addMany(events.filter((_, i) => missing.has(eventIds[i]!)), 'ready');
  deps.relay.nudge();
  return gone;
}

const now = (deps: Pick<PurgeDeps, 'now'>) => (deps.now ?? (() => new Date()))();
