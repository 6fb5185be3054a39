import Bowser from 'bowser';
import type { UserActivityMessage, UserDeletedMessage } from '@userforge/contracts';
import type { Activity } from './activity';

export interface UserEventDeps {
  users: { touchLastActive(userId: string, at: Date): Promise<boolean> };
  activities: {
    insert(activity: Activity): Promise<void>;
    count(activity: Activity): Promise<void>;
    forgetUser(userId: string): Promise<number>;
  };
}

/** Device class, browser and OS from a User-Agent; `unknown` where it says nothing. */
export function parseUserAgent(userAgent: string): { device: string; browser: string; os: string } {
  if (!userAgent.trim()) return { device: 'unknown', browser: 'unknown', os: 'unknown' };
  const parsed = Bowser.parse(userAgent);
  return {
    device: parsed.platform.type ?? 'unknown',
    browser: parsed.browser.name ?? 'unknown',
    os: parsed.os.name ?? 'unknown',
  };
}

/**
 * Stores an activity with its parsed device, moves the user's `lastActive` forward and counts it.
 * An activity of a user who no longer exists is dropped. Every step tolerates being repeated.
 */
export async function storeActivity(deps: UserEventDeps, message: UserActivityMessage): Promise<'stored' | 'user-gone'> {
  const at = new Date(message.at);
  if (!(await deps.users.touchLastActive(message.userId, at))) return 'user-gone';
  const activity: Activity = {
    id: message.activityId,
    userId: message.userId,
    type: message.type,
    at,
    ...parseUserAgent(message.userAgent),
    userAgent: message.userAgent,
  };
  await deps.activities.insert(activity);
  await deps.activities.count(activity);
  return 'stored';
}

/** A deleted user's activity goes, and with it the user's share of the statistics. */
export async function forgetDeletedUser(deps: UserEventDeps, message: UserDeletedMessage): Promise<number> {
  return deps.activities.forgetUser(message.userId);
}
