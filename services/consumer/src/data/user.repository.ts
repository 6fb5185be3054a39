import { MongoBulkWriteError, type Collection, type Db, type ObjectId } from 'mongodb';
import type { UserDocument } from '@userforge/users';

const DUPLICATE_KEY = 11000;

/** Indexes of the users collection. Each one costs insert throughput: see README "Indexes". */
export const USER_INDEXES = [
  { key: { email: 1 }, name: 'email_unique', unique: true },
  // Listing order, page positions (see the user tally), the keyset cursor, and a job's audit (its
  // users are exactly its reserved sequence range).
  { key: { seq: 1 }, name: 'by_seq' },
] as const;

/** Indexes of earlier versions, dropped because nothing reads through them any more. */
const RETIRED_INDEXES = ['by_job'];

export class UserWriteRepository {
  readonly users: Collection<UserDocument>;
  constructor(db: Db) {
    this.users = db.collection<UserDocument>('users');
  }

  async ensureIndexes(): Promise<void> {
    for (const { key, ...options } of USER_INDEXES) await this.users.createIndex(key, options);
    const existing = new Set((await this.users.indexes().catch(() => [])).map((i) => i.name));
    for (const name of RETIRED_INDEXES) if (existing.has(name)) await this.users.dropIndex(name).catch(() => undefined);
  }

  /** Moves `lastActive` forward (never back). False when the user does not exist. */
  async touchLastActive(userId: ObjectId, at: Date): Promise<boolean> {
    return (await this.users.updateOne({ _id: userId }, { $max: { lastActive: at } })).matchedCount === 1;
  }

  /**
   * Unordered bulk insert that treats duplicate keys as success: they are users a previous
   * delivery of the same chunk already stored. Returns how many were new. Any other write error
   * is thrown.
   */
  async insertIgnoringDuplicates(users: UserDocument[]): Promise<number> {
    try {
      return (await this.users.insertMany(users, { ordered: false })).insertedCount;
    } catch (err) {
      if (isOnlyDuplicates(err)) return err.insertedCount;
      throw err;
    }
  }
}

function isOnlyDuplicates(err: unknown): err is MongoBulkWriteError {
  if (!(err instanceof MongoBulkWriteError)) return false;
  const errors = Array.isArray(err.writeErrors) ? err.writeErrors : [err.writeErrors];
  return errors.length > 0 && errors.every((e) => e.code === DUPLICATE_KEY);
}
