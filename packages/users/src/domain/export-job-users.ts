import { isObjectIdHex, type JobState, type UserView } from '@userforge/contracts';
import { AppError } from '@userforge/platform';
import type { UserDocument } from '../data/user';
import type { SeqRange } from './user-criteria';
import { toUserView } from './user-view';

/** What an export needs to know of a job: its state and the sequence numbers reserved for its users. */
export interface ExportedJob {
  _id: string;
  state: JobState;
  /** The job's first sequence number; its users are exactly `seqBase` ≤ seq < `seqBase + count`. */
  seqBase: number;
  count: number;
  /** Set once a purge of the job's users began (`DELETE /v1/jobs/{id}/users`). */
  purge?: { state: string };
}

export interface ExportDeps {
  /** The job repository. */
  jobs: { findById(id: string): Promise<ExportedJob | null> };
  /** The user repository: a range of users in `seq` order, read as it is iterated. */
  users: { streamBySeq(range: SeqRange): AsyncIterable<UserDocument> };
}

export interface JobUsersExport {
  jobId: string;
  /** The job's state when the export started. */
  state: JobState;
  /** True when the job had succeeded: every one of its users is stored, so the export holds them all. */
  complete: boolean;
  /** The job's users (from `after` on), as the API shows a user, in `seq` order. */
  users: AsyncIterable<UserView>;
}

/**
 * The sequence numbers still to export: the job's reserved range, from just after `after` when the
 * client resumes. Empty (`gte` = `lt`) once `after` reaches the job's end.
 */
export function exportRange(job: Pick<ExportedJob, 'seqBase' | 'count'>, after?: number): SeqRange {
  const end = job.seqBase + job.count;
  const start = after === undefined ? job.seqBase : Math.min(Math.max(job.seqBase, after + 1), end);
  return { gte: start, lt: end };
}

/**
 * A job's users, streamed from the database in `seq` order: whatever the job's size, only a batch is
 * held at a time. A job still at work exports what is stored so far (`complete` says so); resuming
 * with the `seq` of the last user received (`after`) gives the rest, each user once.
 */
export async function exportJobUsers(deps: ExportDeps, jobId: string, opts: { after?: number } = {}): Promise<JobUsersExport> {
  if (!isObjectIdHex(jobId)) throw AppError.badRequest(`job id must be 24 hexadecimal characters, got "${jobId.slice(0, 40)}"`, undefined, 'invalid_id');
  const job = await deps.jobs.findById(jobId);
  if (!job) throw AppError.notFound(`job ${jobId} not found`);
  // Deleted is deleted: once a purge began, what is left of the users is on its way out, not a partial export.
  if (job.purge) throw AppError.notFound(`the users of job ${jobId} were deleted (DELETE /v1/jobs/${jobId}/users; purge ${job.purge.state})`, 'users_purged');
  return {
    jobId,
    state: job.state,
    complete: job.state === 'succeeded',
    users: views(deps.users.streamBySeq(exportRange(job, opts.after))),
  };
}

async function* views(users: AsyncIterable<UserDocument>): AsyncGenerator<UserView> {
  for await (const user of users) yield toUserView(user);
}
