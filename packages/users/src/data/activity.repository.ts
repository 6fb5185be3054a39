import { ObjectId, type Collection, type Db } from 'mongodb';
import type { Redis } from 'ioredis';
import { isDuplicateKey } from '@userforge/platform';
import type { Activity } from '../domain/activity';
import { ranked } from '../domain/ranked';

/** An activity as stored in the `activities` collection: the domain's activity with ObjectId ids. */
export type ActivityDocument = Omit<Activity, 'id' | 'userId'> & { _id: ObjectId; userId: ObjectId };

const DAY_MS = 86_400_000;

/** Redis keys of a database's activity figures. */
export function activityKeys(dbName: string) {
  const p = `uf:${dbName}:act:`;
  return {
    total: `${p}total`,
    lastActive: `${p}last`,
    byUser: `${p}by-user`,
    devices: `${p}devices`,
    browsers: `${p}browsers`,
    os: `${p}os`,
    seen: `${p}seen:`,
    forgot: `${p}forgot:`,
  };
}

/** Counts one activity once: a marker key that outlives any redelivery decides. */
const RECORD_SCRIPT = `
if not redis.call('SET', KEYS[7], '1', 'NX', 'EX', 604800) then return 0 end
redis.call('INCR', KEYS[1])
redis.call('ZADD', KEYS[2], 'GT', ARGV[2], ARGV[1])
redis.call('ZINCRBY', KEYS[3], 1, ARGV[1])
redis.call('HINCRBY', KEYS[4], ARGV[3], 1)
redis.call('HINCRBY', KEYS[5], ARGV[4], 1)
redis.call('HINCRBY', KEYS[6], ARGV[5], 1)
return 1`;

/** Takes a deleted user's activity out of the figures, once. ARGV: user, n, then hash index/field/count triples. */
const FORGET_SCRIPT = `
if not redis.call('SET', KEYS[7], '1', 'NX', 'EX', 604800) then return 0 end
redis.call('DECRBY', KEYS[1], ARGV[2])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
for i = 3, #ARGV, 3 do
  local key = KEYS[tonumber(ARGV[i])]
  if redis.call('HINCRBY', key, ARGV[i + 1], -tonumber(ARGV[i + 2])) <= 0 then redis.call('HDEL', key, ARGV[i + 1]) end
end
return 1`;

/** Activity events: stored in MongoDB, counted in Redis as they land. */
export class ActivityRepository {
  readonly activities: Collection<ActivityDocument>;
  private readonly keys: ReturnType<typeof activityKeys>;
  private readonly ordered: string[];

  constructor(
    db: Db,
    private readonly redis: Redis,
  ) {
    this.activities = db.collection<ActivityDocument>('activities');
    this.keys = activityKeys(db.databaseName);
    const k = this.keys;
    this.ordered = [k.total, k.lastActive, k.byUser, k.devices, k.browsers, k.os];
  }

  async ensureIndexes(): Promise<void> {
    await this.activities.createIndex({ userId: 1 }, { name: 'activities_by_user' });
  }

  /** Stores an activity; a repeat of the same id is ignored. */
  async insert(activity: Activity): Promise<void> {
    const { id, userId, ...rest } = activity;
    try {
      await this.activities.insertOne({ _id: new ObjectId(id), userId: new ObjectId(userId), ...rest });
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
    }
  }

  async count(activity: Activity): Promise<void> {
    await this.redis.eval(RECORD_SCRIPT, 7, ...this.ordered, `${this.keys.seen}${activity.id}`,
      activity.userId, activity.at.getTime(), activity.device, activity.browser, activity.os);
  }

  async ofUser(userId: string, limit: number): Promise<Activity[]> {
    // Sorted here: a user has few activities, and a sort pushed to the database would need an index.
    const docs = await this.activities.find({ userId: new ObjectId(userId) }).toArray();
    return docs
      .sort((a, b) => b.at.getTime() - a.at.getTime())
      .slice(0, limit)
      .map(({ _id, userId: owner, ...rest }) => ({ id: _id.toHexString(), userId: owner.toHexString(), ...rest }));
  }

  /** Removes a deleted user's activity, taking it out of the figures first (so a crash redoes both). */
  async forgetUser(id: string): Promise<number> {
    const userId = new ObjectId(id);
    const docs = await this.activities.find({ userId }).toArray();
    const counts = new Map<string, number>();
    for (const d of docs) {
      for (const [index, field] of [[4, d.device], [5, d.browser], [6, d.os]] as const) {
        const key = `${index}\u0000${field}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
    }
    const args: (string | number)[] = [id, docs.length];
    for (const [key, n] of counts) {
      const [index, field] = key.split('\u0000') as [string, string];
      args.push(Number(index), field, n);
    }
    await this.redis.eval(FORGET_SCRIPT, 7, ...this.ordered, `${this.keys.forgot}${id}`, ...args);
    await this.activities.deleteMany({ userId });
    return docs.length;
  }

  async stats(now: Date) {
    const t = now.getTime();
    const [total, daily, weekly, monthly, top, devices, browsers, os] = await Promise.all([
      this.redis.get(this.keys.total),
      this.redis.zcount(this.keys.lastActive, t - DAY_MS, '+inf'),
      this.redis.zcount(this.keys.lastActive, t - 7 * DAY_MS, '+inf'),
      this.redis.zcount(this.keys.lastActive, t - 30 * DAY_MS, '+inf'),
      this.redis.zrevrange(this.keys.byUser, 0, 14, 'WITHSCORES'),
      this.redis.hgetall(this.keys.devices),
      this.redis.hgetall(this.keys.browsers),
      this.redis.hgetall(this.keys.os),
    ]);
    const topUsers: { userId: string; count: number }[] = [];
    for (let i = 0; i < top.length; i += 2) topUsers.push({ userId: top[i]!, count: Number(top[i + 1]) });
    topUsers.sort((a, b) => b.count - a.count || (a.userId < b.userId ? -1 : 1)); // ties by id, as elsewhere
    return {
      totalActivityEvents: Number(total ?? 0),
      activeUsers: { daily, weekly, monthly },
      topUsers,
      devices: ranked(devices),
      browsers: ranked(browsers),
      os: ranked(os),
    };
  }
}
