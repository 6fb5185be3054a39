import { randomUUID } from 'node:crypto';
import { ObjectId, type Collection, type Db } from 'mongodb';
import type { Redis } from 'ioredis';
import { RetryLater, isDuplicateKey } from '@userforge/platform';
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
    /** Present once the figures are complete: missing means Redis lost them (or never had them). */
    built: `${p}built`,
    /** The token of the rebuild under way. */
    rebuilding: `${p}rebuilding`,
    /** A rebuild's figures before they are swapped in, in the order of the figure keys. */
    rebuildKeys: (token: string) => ['total', 'last', 'by-user', 'devices', 'browsers', 'os'].map((name) => `${p}rebuild:${token}:${name}`),
  };
}

/** Counting is refused until the figures are built: see `ActivityRepository.rebuild`. */
export class ActivityFiguresNotBuilt extends RetryLater {
  constructor() {
    super('activity figures are being rebuilt; counting waits for them', 2_000);
    this.name = 'ActivityFiguresNotBuilt';
  }
}

const SEEN_TTL_S = 604_800;
const REBUILD_LOCK_MS = 60_000;
const REBUILD_BATCH = 1_000;

/** Counts one activity once: a marker key that outlives any redelivery decides. -1: not built yet. */
const RECORD_SCRIPT = `
if redis.call('EXISTS', KEYS[8]) == 0 then return -1 end
if not redis.call('SET', KEYS[7], '1', 'NX', 'EX', 604800) then return 0 end
redis.call('INCR', KEYS[1])
redis.call('ZADD', KEYS[2], 'GT', ARGV[2], ARGV[1])
redis.call('ZINCRBY', KEYS[3], 1, ARGV[1])
redis.call('HINCRBY', KEYS[4], ARGV[3], 1)
redis.call('HINCRBY', KEYS[5], ARGV[4], 1)
redis.call('HINCRBY', KEYS[6], ARGV[5], 1)
return 1`;

/** Takes a deleted user's activity out of the figures, once. ARGV: user, n, then hash index/field/count triples. -1: not built yet. */
const FORGET_SCRIPT = `
if redis.call('EXISTS', KEYS[8]) == 0 then return -1 end
if not redis.call('SET', KEYS[7], '1', 'NX', 'EX', 604800) then return 0 end
redis.call('DECRBY', KEYS[1], ARGV[2])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
for i = 3, #ARGV, 3 do
  local key = KEYS[tonumber(ARGV[i])]
  if redis.call('HINCRBY', key, ARGV[i + 1], -tonumber(ARGV[i + 2])) <= 0 then redis.call('HDEL', key, ARGV[i + 1]) end
end
return 1`;

/** Keeps a rebuild's lock while it is still this rebuild's (it vanishes with the rest if Redis loses its data). */
const RENEW_SCRIPT = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`;

/**
 * Swaps a rebuild's figures in, all at once, if the rebuild still holds its lock. KEYS: lock, marker,
 * the six figure keys, then the six temporary ones; ARGV: token, when.
 */
const SWAP_SCRIPT = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
for i = 3, 8 do
  if redis.call('EXISTS', KEYS[i + 6]) == 1 then
    redis.call('RENAME', KEYS[i + 6], KEYS[i])
    redis.call('PERSIST', KEYS[i])
  else
    redis.call('DEL', KEYS[i])
  end
end
redis.call('SET', KEYS[2], ARGV[2])
redis.call('DEL', KEYS[1])
return 1`;

const RELEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
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

  /** Counts the activity once; throws `ActivityFiguresNotBuilt` (try again later) while they are rebuilt. */
  async count(activity: Activity): Promise<void> {
    const counted = await this.redis.eval(RECORD_SCRIPT, 8, ...this.ordered, `${this.keys.seen}${activity.id}`, this.keys.built,
      activity.userId, activity.at.getTime(), activity.device, activity.browser, activity.os);
    if (counted === -1) throw new ActivityFiguresNotBuilt();
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
    if ((await this.redis.eval(FORGET_SCRIPT, 8, ...this.ordered, `${this.keys.forgot}${id}`, this.keys.built, ...args)) === -1) {
      throw new ActivityFiguresNotBuilt();
    }
    await this.activities.deleteMany({ userId });
    return docs.length;
  }

  /** Whether the figures are complete; false after Redis lost its data. */
  async isBuilt(): Promise<boolean> {
    return (await this.redis.exists(this.keys.built)) === 1;
  }

  /**
   * Recounts every figure from the activities collection into temporary keys, then swaps them in and
   * sets the marker in one atomic step. Counting is refused while the marker is missing (the consumer
   * retries), so no activity counted during the rebuild is lost in the swap; one the rebuild read is
   * marked seen, so its retried count is not added again. Returns how many activities were counted,
   * or null if another rebuild holds the lock or this one lost it.
   */
  async rebuild(now = new Date()): Promise<number | null> {
    const token = randomUUID();
    if ((await this.redis.set(this.keys.rebuilding, token, 'PX', REBUILD_LOCK_MS, 'NX')) !== 'OK') return null;
    const temp = this.keys.rebuildKeys(token);
    const [total, last, byUser, devices, browsers, os] = temp as [string, string, string, string, string, string];
    const seenSince = now.getTime() - SEEN_TTL_S * 1000;
    let counted = 0;
    let batch: ActivityDocument[] = [];
    const flush = async () => {
      if (!batch.length) return;
      const pipe = this.redis.pipeline().eval(RENEW_SCRIPT, 1, this.keys.rebuilding, token, REBUILD_LOCK_MS);
      const perUser = new Map<string, { n: number; last: number }>();
      const hashes = [new Map<string, number>(), new Map<string, number>(), new Map<string, number>()];
      for (const a of batch) {
        const user = a.userId.toHexString();
        const u = perUser.get(user) ?? { n: 0, last: 0 };
        perUser.set(user, { n: u.n + 1, last: Math.max(u.last, a.at.getTime()) });
        for (const [i, field] of [a.device, a.browser, a.os].entries()) hashes[i]!.set(field, (hashes[i]!.get(field) ?? 0) + 1);
        if (a.at.getTime() >= seenSince) pipe.set(`${this.keys.seen}${a._id.toHexString()}`, '1', 'EX', SEEN_TTL_S, 'NX');
      }
      pipe.incrby(total, batch.length);
      for (const [user, u] of perUser) pipe.zadd(last, 'GT', u.last, user).zincrby(byUser, u.n, user);
      for (const [i, key] of [devices, browsers, os].entries()) for (const [field, n] of hashes[i]!) pipe.hincrby(key, field, n);
      for (const key of temp) pipe.pexpire(key, 10 * REBUILD_LOCK_MS); // left over if this process dies
      const results = (await pipe.exec()) ?? [];
      const failed = results.find(([err]) => err);
      if (failed) throw failed[0];
      if (results[0]?.[1] !== 1) throw new Error('activity rebuild lost its lock (Redis restarted or another rebuild took over)');
      counted += batch.length;
      batch = [];
    };
    let swapped = false;
    try {
      for await (const doc of this.activities.find({})) {
        batch.push(doc);
        if (batch.length === REBUILD_BATCH) await flush();
      }
      await flush();
      const keys = [this.keys.rebuilding, this.keys.built, ...this.ordered, ...temp];
      swapped = (await this.redis.eval(SWAP_SCRIPT, keys.length, ...keys, token, now.toISOString())) === 1;
      return swapped ? counted : null;
    } finally {
      if (!swapped) {
        await this.redis.del(...temp).catch(() => undefined);
        await this.redis.eval(RELEASE_SCRIPT, 1, this.keys.rebuilding, token).catch(() => undefined);
      }
    }
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
