import type { Collection, Db } from 'mongodb';
import type { Redis } from 'ioredis';
import { isDuplicateKey } from '@userforge/platform';
import { foldDeltas, incrementsOf, snapshotOf, type TallyDelta, type TallySnapshot } from '../domain/tally';

/** Redis keys of a database's tally (named after the database, so several can share one Redis). */
export function tallyKeys(dbName: string) {
  const p = `uf:${dbName}:`;
  return {
    applied: `${p}tally:applied`,
    totals: `${p}tally:totals`,
    coarse: `${p}tally:coarse`,
    fine: `${p}tally:fine`,
    /** Bumped with every applied delta: part of every cached listing's key. */
    version: `${p}users:version`,
    pages: `${p}users:page:`,
  };
}

/** Applies a delta once: the id joins the applied set, or nothing happens. */
const APPLY_SCRIPT = `
if redis.call('SADD', KEYS[1], ARGV[1]) == 0 then return 0 end
for i = 2, #ARGV, 3 do
  redis.call('HINCRBY', KEYS[tonumber(ARGV[i])], ARGV[i + 1], ARGV[i + 2])
end
redis.call('INCR', KEYS[5])
return 1`;

const HASH_KEY_INDEX = { totals: 2, coarse: 3, fine: 4 } as const;

/**
 * The tally's truth is the `user_tally` collection (one document per change, unique id); Redis
 * holds the sums, applied exactly once per delta by a script. A delta whose Redis step failed is
 * applied later by `heal()`, which also rebuilds the sums after Redis lost its data.
 */
export class UserTallyRepository {
  /** `atMs` copies `at` as a number: the local MongoDB-wire server serves numeric ranges from an index. */
  readonly deltas: Collection<TallyDelta & { atMs?: number }>;
  readonly keys: ReturnType<typeof tallyKeys>;

  constructor(
    db: Db,
    private readonly redis: Redis,
  ) {
    this.deltas = db.collection('user_tally');
    this.keys = tallyKeys(db.databaseName);
  }

  async ensureIndexes(): Promise<void> {
    await this.deltas.createIndex({ atMs: 1 }, { name: 'tally_by_time' });
  }

  /** Stores the delta in MongoDB, once (a repeated id is ignored); Redis is not touched. */
  async store(delta: TallyDelta): Promise<void> {
    try {
      await this.deltas.insertOne({ ...delta, atMs: delta.at.getTime() });
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
    }
  }

  /** Stores the delta (once) and applies it to Redis; a Redis failure is left for `heal()`. */
  async record(delta: TallyDelta): Promise<{ appliedNow: boolean }> {
    await this.store(delta);
    try {
      await this.apply(delta);
      return { appliedNow: true };
    } catch {
      return { appliedNow: false };
    }
  }

  async apply(delta: TallyDelta): Promise<boolean> {
    const args: (string | number)[] = [delta._id];
    for (const { hash, field, by } of incrementsOf(delta)) args.push(HASH_KEY_INDEX[hash], field, by);
    const keys = [this.keys.applied, this.keys.totals, this.keys.coarse, this.keys.fine, this.keys.version];
    return (await this.redis.eval(APPLY_SCRIPT, keys.length, ...keys, ...args)) === 1;
  }

  /**
   * Applies the stored deltas Redis has not seen: all of them, or only those recorded since
   * `sinceMs` (the periodic pass, which then reads a few recent deltas instead of the whole history).
   * Returns how many were applied.
   */
  async heal(sinceMs?: number): Promise<number> {
    let applied = 0;
    let batch: TallyDelta[] = [];
    const flush = async () => {
      if (!batch.length) return;
      const seen = await this.redis.smismember(this.keys.applied, ...batch.map((d) => d._id));
      for (let i = 0; i < batch.length; i++) if (!seen[i] && (await this.apply(batch[i]!))) applied++;
      batch = [];
    };
    for await (const delta of this.deltas.find(sinceMs === undefined ? {} : { atMs: { $gte: sinceMs } })) {
      batch.push(delta);
      if (batch.length === 500) await flush();
    }
    await flush();
    return applied;
  }

  /** The sums straight from the deltas (slow path for when Redis is down). */
  async foldFromDatabase() {
    return foldDeltas(await this.deltas.find({}).toArray());
  }

  async snapshot(): Promise<TallySnapshot> {
    const totals = await this.redis.hgetall(this.keys.totals);
    return snapshotOf(new Map(Object.entries(totals).map(([k, v]) => [k, Number(v)])));
  }

  async coarse(): Promise<Map<number, number>> {
    const raw = await this.redis.hgetall(this.keys.coarse);
    return new Map(Object.entries(raw).map(([k, v]) => [Number(k), Number(v)]));
  }

  async fine(slices: number[]): Promise<Map<number, number>> {
    const raw = await this.redis.hmget(this.keys.fine, ...slices.map(String));
    return new Map(slices.map((s, i) => [s, Number(raw[i] ?? 0)]));
  }

  async version(): Promise<string> {
    return (await this.redis.get(this.keys.version)) ?? '0';
  }
}
