import { MongoServerError, type Collection, type Db, type Filter, type ObjectId } from 'mongodb';
import type { UserDocument } from '@userforge/users';

export type UserFilter = Filter<UserDocument>;
export interface FindOptions {
  sort: { field: 'seq' | 'email'; dir: 1 | -1 };
  skip?: number;
  limit: number;
}

export class EmailTakenError extends Error {}

// FerretDB reports a unique-index violation on update as InternalError (code 1) naming PostgreSQL's error.
const isDuplicate = (err: unknown) =>
  err instanceof MongoServerError && (err.code === 11000 || (err.code === 1 && /duplicate key|unique constraint/i.test(err.message)));

/** Reads and single-user writes of the users collection. Filters come only from `buildUserFilter`. */
export class UserRepository {
  readonly users: Collection<UserDocument>;

  constructor(db: Db) {
    this.users = db.collection<UserDocument>('users');
  }

  find(filter: UserFilter, { sort, skip = 0, limit }: FindOptions): Promise<UserDocument[]> {
    return this.users.find(filter).sort({ [sort.field]: sort.dir }).skip(skip).limit(limit).toArray();
  }

  findById(id: ObjectId): Promise<UserDocument | null> {
    return this.users.findOne({ _id: id });
  }

  async insert(user: UserDocument): Promise<void> {
    try {
      await this.users.insertOne(user);
    } catch (err) {
      if (isDuplicate(err)) throw new EmailTakenError(user.email);
      throw err;
    }
  }

  async update(id: ObjectId, changes: Partial<UserDocument>): Promise<UserDocument | null> {
    if (changes.email !== undefined) {
      const holder = await this.users.findOne({ email: changes.email });
      if (holder && !holder._id.equals(id)) throw new EmailTakenError(changes.email);
    }
    try {
      const { matchedCount } = await this.users.updateOne({ _id: id }, { $set: changes });
      if (matchedCount === 0) return null;
    } catch (err) {
      if (isDuplicate(err)) throw new EmailTakenError(String(changes.email));
      throw err;
    }
    return this.findById(id);
  }

  async delete(id: ObjectId): Promise<boolean> {
    return (await this.users.deleteOne({ _id: id })).deletedCount === 1;
  }
}
