import { MongoClient, type Db } from 'mongodb';
import { generateChunk, UserRepository, type UserDocument } from '../src';
import { testMongoUrl } from '@userforge/testkit';

/** The users collection against the real database. */
describe('UserRepository.streamBySeq (real database)', () => {
  let client: MongoClient;
  let db: Db;
  let users: UserRepository;
  const seqs = async (range: { gte: number; lt: number }, pageSize: number) => {
    const out: number[] = [];
    for await (const user of users.streamBySeq(range, pageSize)) out.push(user.seq);
    return out;
  };
  const span = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

  beforeAll(async () => {
    client = await MongoClient.connect(testMongoUrl('user_repository'));
    db = client.db();
    await db.dropDatabase();
    users = new UserRepository(db);
    await users.ensureIndexes();
    const stored: UserDocument[] = [...generateChunk({ jobId: 'a'.repeat(24), chunkIndex: 0, seed: 1, seqStart: 100, count: 20, locale: 'en', createdAt: new Date(0).toISOString() })].flat();
    // Stored out of order, with a hole at 110 (a deleted user).
    await users.insertIgnoringDuplicates([...stored].reverse().filter((u) => u.seq !== 110));
  });

  afterAll(async () => {
    await db.dropDatabase();
    await client.close();
  });

  it('reads a range in seq order across pages, whatever the page size', async () => {
    const all = span(100, 120).filter((s) => s !== 110);
    for (const pageSize of [1, 3, 4, 19, 20, 5000]) expect([pageSize, await seqs({ gte: 100, lt: 120 }, pageSize)]).toEqual([pageSize, all]);
  });

  it('keeps to the range: its ends, part of it, and an empty one', async () => {
    expect(await seqs({ gte: 105, lt: 112 }, 2)).toEqual([105, 106, 107, 108, 109, 111]);
    expect(await seqs({ gte: 0, lt: 102 }, 2)).toEqual([100, 101]);
    expect(await seqs({ gte: 119, lt: 500 }, 2)).toEqual([119]);
    expect(await seqs({ gte: 115, lt: 115 }, 2)).toEqual([]);
  });

  it('reads a page only when the caller gets to it', async () => {
    const find = jest.spyOn(users.users, 'find');
    const seen: number[] = [];
    for await (const user of users.streamBySeq({ gte: 100, lt: 120 }, 3)) {
      seen.push(user.seq);
      if (seen.length === 4) break;
    }
    expect(seen).toEqual([100, 101, 102, 103]);
    expect(find).toHaveBeenCalledTimes(2);
    find.mockRestore();
  });
});

describe('UserRepository.deleteInSeqRange (real database)', () => {
  let client: MongoClient;
  let db: Db;
  let users: UserRepository;
  let stored: UserDocument[];

  beforeAll(async () => {
    client = await MongoClient.connect(testMongoUrl('user_repository_delete'));
    db = client.db();
    await db.dropDatabase();
    users = new UserRepository(db);
    await users.ensureIndexes();
    stored = [...generateChunk({ jobId: 'b'.repeat(24), chunkIndex: 0, seed: 2, seqStart: 200, count: 10, locale: 'en', createdAt: new Date(0).toISOString() })].flat();
    await users.insertIgnoringDuplicates(stored);
  });

  afterAll(async () => {
    await db.dropDatabase();
    await client.close();
  });

  it('deletes exactly the given users of the range: not the others, not a given one outside it, and counts what went', async () => {
    const id = (seq: number) => stored.find((u) => u.seq === seq)!._id.toHexString();
    // 209 lies outside [200, 205); 203 is deleted twice over (once already gone).
    expect(await users.deleteInSeqRange(200, 205, [id(201), id(203), id(209)])).toBe(2);
    expect(await users.deleteInSeqRange(200, 205, [id(203), id(204)])).toBe(1);
    expect(await users.deleteInSeqRange(200, 205, [])).toBe(0);
    const left = (await users.users.find({}, { projection: { seq: 1 } }).sort({ seq: 1 }).toArray()).map((u) => u.seq);
    expect(left).toEqual([200, 202, 205, 206, 207, 208, 209]);
  });
});

describe('UserRepository.insertIgnoringDuplicates (real database)', () => {
  let client: MongoClient;
  let users: UserRepository;
  const chunk = (seqStart: number, count: number) =>
    [...generateChunk({ jobId: 'c'.repeat(24), chunkIndex: 0, seed: 3, seqStart, count, locale: 'de', createdAt: new Date(0).toISOString() })].flat();

  beforeAll(async () => {
    client = await MongoClient.connect(testMongoUrl('user_repository_insert'));
    await client.db().dropDatabase();
    users = new UserRepository(client.db());
    await users.ensureIndexes();
  });

  afterAll(async () => {
    await client.db().dropDatabase();
    await client.close();
  });

  it('stores a batch, then counts only the new users of a batch delivered again with more, storing each once', async () => {
    expect(await users.insertIgnoringDuplicates(chunk(1, 300))).toBe(300);
    expect(await users.insertIgnoringDuplicates(chunk(1, 500))).toBe(200);
    expect(await users.insertIgnoringDuplicates([])).toBe(0);
    const stored = await users.users.find({}, { projection: { seq: 1 } }).sort({ seq: 1 }).toArray();
    expect(stored.map((u) => u.seq)).toEqual(Array.from({ length: 500 }, (_, i) => 1 + i));
    expect(await users.users.findOne({ seq: 42 })).toEqual(chunk(1, 500)[41]);
  });

  it('throws a write error that is not a duplicate, having stored the rest of the batch', async () => {
    const [good, bad] = chunk(1_000, 2);
    await expect(users.insertIgnoringDuplicates([good!, { ...bad!, $where: 'x' } as never])).rejects.toThrow(expect.objectContaining({ name: 'MongoBulkWriteError' }));
    expect(await users.users.countDocuments({ seq: { $in: [1_000, 1_001] } })).toBe(1);
  });
});
