import { isActiveState, TERMINAL_STATES, type JobView } from '@userforge/contracts/browser';

export const isActive = (job: Pick<JobView, 'state'>): boolean => isActiveState(job.state);
export const isTerminal = (job: Pick<JobView, 'state'>): boolean => TERMINAL_STATES.includes(job.state);

/** Whether `next` is a later view of the same job than `current` (events and responses can cross). */
export function isNewer(next: JobView, current: JobView): boolean {
  if (isTerminal(current) && !isTerminal(next)) return false;
  if (isTerminal(next) && !isTerminal(current)) return true;
  const a = Date.parse(next.updatedAt);
  const b = Date.parse(current.updatedAt);
  if (a !== b) return a > b;
  return next.usersStored >= current.usersStored;
}
