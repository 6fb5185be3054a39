import { ObjectId, type Collection, type Db, type Filter } from 'mongodb';
import { isDuplicateKey, isOnlyDuplicates } from '@userforge/platform';
import type { PurgedUser } from '../domain/purge-job-users';
import type { SeqRange, UserCriteria, UserOrder } from '../domain/user-criteria';
import { EmailTakenError } from '../domain/user-errors';
import type { UserDocument } from './user';

/** Indexes of the users collection. Each one costs insert throughput: see docs/generation.md "Indexes". */
export const USER_INDEXES = [
  { key: { email: 1 }, name: 'email_unique', unique: true },
  // Listing order, page positions (see the user tally), the keyset cursor, and a job's audit (its
  // users are exactly its reserved sequence range).
  { key: { seq: 1 }, name: 'by_seq' },
] as const;

/** Indexes of earlier versions, dropped because nothing reads through them any more. */
const RETIRED_INDEXES = ['by_job'];

/** Users per page of a streamed read, in one reply: a page lives until its last user is written, so smaller pages hold less (docs/benchmarks.md). */
const STREAM_PAGE = 1000;

export interface FindOptions {
  sort: UserOrder;
  skip?: number;
  limit: number;
}

/** The MongoDB filter for criteria the domain built from validated input: equality and ranges on fixed fields only. */
export function toUserFilter(c: UserCriteria): Filter<UserDocument> {
  const filter: Record<string, unknown> = {};
  if (c.email !== undefined) filter.email = c.email;
  else if (c.emailRange) filter.email = toRange(c.emailRange);
  if (c.firstName !== undefined) filter['name.first'] = c.firstName;
  if (c.lastName !== undefined) filter['name.last'] = c.lastName;
  if (c.country !== undefined) filter['address.country'] = c.country;
  if (c.gender !== undefined) filter.gender = c.gender;
  if (c.seqRange) filter.seq = toRange(c.seqRange);
  return filter as Filter<UserDocument>;
}

function toRange<T>(r: { gt?: T; gte?: T; lt?: T; lte?: T }): Record<string, T> {
  const out: Record<string, T> = {};
  if (r.gt !== undefined) out.$gt = r.gt;
  if (r.gte !== undefined) out.$gte = r.gte;
  if (r.lt !== undefined) out.$lt = r.lt;
  if (r.lte !== undefined) out.$lte = r.lte;
  return out;
}

/** The users collection: its indexes, bulk inserts of generated users, reads and single-user edits. Ids are 24-hex strings. */
export class UserRepository {
  readonly users: Collection<UserDocument>;

  constructor(db: Db) {
    this.users = db.collection<UserDocument>('users');
  }

  async ensureIndexes(): Promise<void> {
    for (const { key, ...options } of USER_INDEXES) await this.users.createIndex(key, options);
    const existing = new Set((await this.users.indexes().catch(() => [])).map((i) => i.name));
    for (const name of RETIRED_INDEXES) if (existing.has(name)) await this.users.dropIndex(name).catch(() => undefined);
  }

  /**
   * Unordered bulk insert that treats duplicate keys as success: they are users a previous
   * delivery of the same chunk already stored. Returns how many were new. Any other write error
   * is thrown.
   */
  async insertIgnoringDuplicates(users: UserDocument[]): Promise<number> {
    if (users.length === 0) return 0; // the driver refuses an empty bulk
    try {
      return (await this.users.insertMany(users, { ordered: false })).insertedCount;
    } catch (err) {
      if (isOnlyDuplicates(err)) return err.insertedCount;
      throw err;
    }
  }

  /** Moves `lastActive` forward (never back). False when the user does not exist. */
  async touchLastActive(userId: string, at: Date): Promise<boolean> {
    return (await this.users.updateOne({ _id: new ObjectId(userId) }, { $max: { lastActive: at } })).matchedCount === 1;
  }

  find(criteria: UserCriteria, { sort, skip = 0, limit }: FindOptions): Promise<UserDocument[]> {
    return this.users.find(toUserFilter(criteria)).sort({ [sort.field]: sort.dir }).skip(skip).limit(limit).toArray();
  }

  /**
   * The users of a sequence range in `seq` order, a page at a time as the caller iterates (stopping
   * the iteration stops the reads): memory stays the same however large the range. Pages rather than
   * one cursor because FerretDB's pushdown puts `ORDER BY` into PostgreSQL only under a limit (see
   * docs/reading.md, "FerretDB and indexes"): a sorted cursor without one has it load and sort the
   * whole range in its own memory first. Each page is an indexed range read under `by_seq`.
   */
  async *streamBySeq(range: SeqRange, pageSize = STREAM_PAGE): AsyncGenerator<UserDocument> {
    for (let from = range.gte; from < range.lt; ) {
      const page = await this.users.find({ seq: { $gte: from, $lt: range.lt } }).sort({ seq: 1 }).limit(pageSize).batchSize(pageSize).toArray();
      yield* page;
      if (page.length < pageSize) return;
      from = page[page.length - 1]!.seq + 1;
    }
  }

  findById(id: string): Promise<UserDocument | null> {
    return this.users.findOne({ _id: new ObjectId(id) });
  }

  async insert(user: UserDocument): Promise<void> {
    try {
      await this.users.insertOne(user);
    } catch (err) {
      if (isDuplicateKey(err)) throw new EmailTakenError(user.email);
      throw err;
    }
  }

  /** Applies the changes; the user after them, or null if there is no such user. */
  async update(id: string, changes: Partial<UserDocument>): Promise<UserDocument | null> {
    const _id = new ObjectId(id);
    if (changes.email !== undefined) {
      const holder = await this.users.findOne({ email: changes.email });
      if (holder && !holder._id.equals(_id)) throw new EmailTakenError(changes.email);
    }
    try {
      const { matchedCount } = await this.users.updateOne({ _id }, { $set: changes });
      if (matchedCount === 0) return null;
    } catch (err) {
      if (isDuplicateKey(err)) throw new EmailTakenError(String(changes.email));
      throw err;
    }
    return this.users.findOne({ _id });
  }

  async delete(id: string): Promise<boolean> {
    return (await this.users.deleteOne({ _id: new ObjectId(id) })).deletedCount === 1;
  }

  /** The users with sequence numbers in [from, to), with only what deleting them needs (a purge's window). */
  async inSeqRange(from: number, to: number): Promise<PurgedUser[]> {
    const docs = await this.users
      .find({ seq: { $gte: from, $lt: to } }, { projection: { _id: 1, seq: 1, gender: 1, 'address.country': 1, updatedAt: 1 } })
      .toArray();
    return docs.map((d) => ({ id: d._id.toHexString(), seq: d.seq, gender: d.gender, address: { country: d.address.country }, updatedAt: d.updatedAt }));
  }

  /** The lowest sequence number in [from, to) still stored, or null when none is. */
  async firstSeqIn(from: number, to: number): Promise<number | null> {
    const [first] = await this.users.find({ seq: { $gte: from, $lt: to } }, { projection: { seq: 1 } }).sort({ seq: 1 }).limit(1).toArray();
    return first?.seq ?? null;
  }

  countInSeqRange(from: number, to: number): Promise<number> {
    return this.users.countDocuments({ seq: { $gte: from, $lt: to } });
  }

  /**
   * Deletes exactly these users (their ids, each still in [from, to)). Returns how many went. One
   * delete per id in a single command: FerretDB serves `_id` equality from its index, while an
   * `$in` filter made it read the whole collection for every window of a purge.
   */
  async deleteInSeqRange(from: number, to: number, ids: string[]): Promise<number> {
    if (!ids.length) return 0;
    const seq = { $gte: from, $lt: to };
    const deletes = ids.map((id) => ({ deleteOne: { filter: { _id: new ObjectId(id), seq } } }));
    return (await this.users.bulkWrite(deletes, { ordered: false })).deletedCount;
  }
}
