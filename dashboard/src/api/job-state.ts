import type { JobState, JobView } from '@userforge/contracts';

// Type-only use of the contracts keeps zod out of the bundle; the checks below fail to compile if
// the contract's states change without this list.
const ACTIVE = ['publishing', 'running'] as const satisfies readonly JobState[];
const TERMINAL = ['succeeded', 'cancelled', 'failed'] as const satisfies readonly JobState[];
type Unlisted = Exclude<JobState, (typeof ACTIVE)[number] | (typeof TERMINAL)[number]>;
const everyStateListed: [Unlisted] extends [never] ? true : never = true;
void everyStateListed;

export const isActive = (job: Pick<JobView, 'state'>): boolean => (ACTIVE as readonly JobState[]).includes(job.state);
export const isTerminal = (job: Pick<JobView, 'state'>): boolean => (TERMINAL as readonly JobState[]).includes(job.state);

/** Whether `next` is a later view of the same job than `current` (events and responses can cross). */
export function isNewer(next: JobView, current: JobView): boolean {
  if (isTerminal(current) && !isTerminal(next)) return false;
  if (isTerminal(next) && !isTerminal(current)) return true;
  const a = Date.parse(next.updatedAt);
  const b = Date.parse(current.updatedAt);
  if (a !== b) return a > b;
  return next.usersStored >= current.usersStored;
}
