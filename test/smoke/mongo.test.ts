import { connectMongo, pingMongo } from '@userforge/platform';
import { Schema, type Connection } from 'mongoose';
import { testMongoUrl } from '@userforge/testkit';

describe('MongoDB wire protocol (real database)', () => {
  let conn: Connection;
  beforeAll(async () => {
    conn = await connectMongo(testMongoUrl('smoke_mongo'));
  });
  afterAll(async () => {
    await conn.dropDatabase();
    await conn.close();
  });

  it('answers ping', async () => {
    await expect(pingMongo(conn)).resolves.toBeUndefined();
  });

  it('writes and reads with mongoose and enforces a unique index it created', async () => {
    const Person = conn.model('Person', new Schema({ email: { type: String, required: true }, name: String }));
    await Person.createCollection();
    await Person.collection.createIndex({ email: 1 }, { unique: true, name: 'email_unique' });
    const indexes = await Person.collection.indexes();
    expect(indexes.map((i) => i.name)).toContain('email_unique');

    await Person.create({ email: 'ada@example.com', name: 'Ada' });
    const found = await Person.findOne({ email: 'ada@example.com' }).lean();
    expect(found?.name).toBe('Ada');

    await expect(Person.create({ email: 'ada@example.com', name: 'Copy' })).rejects.toMatchObject({ code: 11000 });
    expect(await Person.countDocuments()).toBe(1);
  });

  it('bulk-inserts unordered and reports duplicates without losing the rest', async () => {
    const col = conn.collection('bulk');
    await col.createIndex({ email: 1 }, { unique: true });
    await col.insertMany([{ _id: 'a' as never, email: 'a@x.io' }]);
    const err = await col
      .insertMany(
        [
          { _id: 'a' as never, email: 'a@x.io' },
          { _id: 'b' as never, email: 'b@x.io' },
          { _id: 'c' as never, email: 'c@x.io' },
        ],
        { ordered: false },
      )
      .catch((e: unknown) => e as { code?: number; result?: { insertedCount: number } });
    expect(err).toMatchObject({ code: 11000 });
    expect(await col.countDocuments()).toBe(3);
  });
});
