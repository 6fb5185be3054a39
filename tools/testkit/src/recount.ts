import type { Db } from 'mongodb';
import type { StatsView } from '@userforge/contracts';

const DAY = 86_400_000;

/** Every statistic recounted from the collections themselves. */
export async function recount(db: Db, now: number): Promise<Omit<StatsView, 'computedAt'>> {
  const users = await db.collection('users').find({}).toArray();
  const activities = await db.collection('activities').find({}).toArray();
  const tally = (values: string[]) => {
    const m = new Map<string, number>();
    for (const v of values) m.set(v, (m.get(v) ?? 0) + 1);
    return [...m].map(([name, count]) => ({ name, count })).sort((a, b) => b.count - a.count || (a.name < b.name ? -1 : 1));
  };
  const last = new Map<string, number>();
  for (const a of activities) last.set(String(a.userId), Math.max(last.get(String(a.userId)) ?? 0, (a.at as Date).getTime()));
  const activeWithin = (ms: number) => [...last.values()].filter((t) => t >= now - ms).length;
  const countries = tally(users.map((u) => u.address.country as string));
  return {
    totalUsers: users.length,
    totalActivityEvents: activities.length,
    countries: countries.length,
    activeUsers: { daily: activeWithin(DAY), weekly: activeWithin(7 * DAY), monthly: activeWithin(30 * DAY) },
    topCountries: countries.slice(0, 15),
    genders: tally(users.map((u) => u.gender as string)),
    devices: tally(activities.map((a) => a.device as string)),
    browsers: tally(activities.map((a) => a.browser as string)),
    os: tally(activities.map((a) => a.os as string)),
    topUsers: tally(activities.map((a) => String(a.userId))).slice(0, 15).map(({ name, count }) => ({ userId: name, count })),
  };
}
