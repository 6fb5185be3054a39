import { randomBytes } from 'node:crypto';
import { MongoServerError, type Collection, type Db } from 'mongodb';
import { isDuplicateKey, isOnlyDuplicates } from '@userforge/platform';
import type { OutboxEvent, OutboxState, UserEvent, UserEventTopic, UserOutbox } from '../domain/user-outbox';

/** An event waiting in the `user_outbox` collection; `key` is the Kafka message key (the user id). */
export interface OutboxDocument {
  _id: string;
  userId: string;
  topic: UserEventTopic;
  key: string;
  message: UserEvent['message'];
  state: OutboxState;
  at: Date;
}

const NAMESPACE_EXISTS = 48;
const PROCESS = randomBytes(4).toString('hex');
let last = { ms: 0, n: 0 };

/**
 * A time-ordered id (fixed-width lowercase hex, so string order is time order): milliseconds, a
 * counter, then this process's random tag. Never smaller than this process's previous id, so within
 * a process sorting by id is write order even when requests' times arrive out of order.
 */
export function outboxId(atMs: number): string {
  let ms = Math.max(Math.floor(atMs), last.ms);
  let n = ms === last.ms ? last.n + 1 : 0;
  if (n > 0xffffff) [ms, n] = [ms + 1, 0];
  last = { ms, n };
  return ms.toString(16).padStart(12, '0') + n.toString(16).padStart(6, '0') + PROCESS;
}

const toEvent = ({ _id, key: _key, ...rest }: OutboxDocument): OutboxEvent => ({ id: _id, ...rest });

/**
 * The `user_outbox` collection: one document per event, inserted whole (an insert with a unique `_id`
 * is atomic on FerretDB, which has no multi-document transactions and updates documents by an
 * unlocked read-modify-write). Only the request that inserted an event updates it (`ready`); the
 * relay only reads and deletes.
 */
export class UserOutboxRepository implements UserOutbox {
  readonly events: Collection<OutboxDocument>;

  constructor(db: Db) {
    this.events = db.collection<OutboxDocument>('user_outbox');
  }

  /**
   * Reads go through `_id` (the primary key) only, so there is no other index; the collection is made
   * at start so the first requests' inserts do not race to create it.
   */
  async ensureIndexes(): Promise<void> {
    try {
      await this.events.db.createCollection(this.events.collectionName);
    } catch (err) {
      if (!(err instanceof MongoServerError && err.code === NAMESPACE_EXISTS)) throw err;
    }
  }

  async add(event: UserEvent, state: OutboxState = 'pending'): Promise<string> {
    for (;;) {
      const _id = outboxId(event.at.getTime());
      try {
        await this.events.insertOne({ _id, userId: event.userId, topic: event.topic, key: event.userId, message: event.message, state, at: event.at });
        return _id;
      } catch (err) {
        if (!isDuplicateKey(err)) throw err; // another process drew the same tag and counter: draw again
      }
    }
  }

  /** Stores many events at once (a purge's window); returns their ids in order. */
  async addMany(events: UserEvent[], state: OutboxState = 'pending'): Promise<string[]> {
    const docs: OutboxDocument[] = events.map((event) => ({
      _id: outboxId(event.at.getTime()),
      userId: event.userId,
      topic: event.topic,
      key: event.userId,
      message: event.message,
      state,
      at: event.at,
    }));
    if (!docs.length) return [];
    try {
      await this.events.insertMany(docs, { ordered: false });
    } catch (err) {
      if (!isOnlyDuplicates(err)) throw err;
      // Another process drew the same tag and counter for some: those are added again with new ids.
      const failed = new Set((Array.isArray(err.writeErrors) ? err.writeErrors : [err.writeErrors]).map((e) => e.index));
      for (const i of failed) docs[i]!._id = await this.add(events[i]!, state);
    }
    return docs.map((d) => d._id);
  }

  async markReady(id: string): Promise<boolean> {
    return (await this.events.updateOne({ _id: id }, { $set: { state: 'ready' } })).matchedCount === 1;
  }

  /**
   * Marks many events ready; returns the ids no longer there (the relay resolved them as stale
   * meanwhile). One `updateMany` over the ids, not one update per id in a single command as in
   * `remove`: FerretDB 1.24 keeps a PostgreSQL connection per update statement until the command
   * ends, so a command with more statements than its pool has connections waits for itself and
   * stops the whole server (seen at a purge window's 1,000 events).
   */
  async markReadyMany(ids: string[]): Promise<string[]> {
    if (!ids.length) return [];
    const { matchedCount } = await this.events.updateMany({ _id: { $in: ids } }, { $set: { state: 'ready' } });
    if (matchedCount === ids.length) return [];
    const present = new Set((await this.events.find({ _id: { $in: ids } }, { projection: { _id: 1 } }).toArray()).map((d) => d._id));
    return ids.filter((id) => !present.has(id));
  }

  async discard(id: string): Promise<void> {
    await this.events.deleteOne({ _id: id });
  }

  /** The oldest events, in write order. */
  async oldest(limit: number): Promise<OutboxEvent[]> {
    return (await this.events.find({}).sort({ _id: 1 }).limit(limit).toArray()).map(toEvent);
  }

  /**
   * Removes published (or discarded) events: one delete per id in a single command. FerretDB serves
   * `_id` equality from its index, while an `$in` filter made it read the whole outbox for every
   * relay batch, so a purge, which fills the outbox with a window's events at a time, slowed down
   * as the outbox grew (docs/benchmarks.md, bench:export).
   */
  async remove(ids: string[]): Promise<void> {
    if (!ids.length) return;
    await this.events.bulkWrite(
      ids.map((_id) => ({ deleteOne: { filter: { _id } } })),
      { ordered: false },
    );
  }

  /** Events not yet published. */
  count(): Promise<number> {
    return this.events.countDocuments({});
  }
}
