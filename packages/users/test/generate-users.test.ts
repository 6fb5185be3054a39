import type { ObjectId } from 'mongodb';
import { createRandom, generateChunk, userIdFor, vocabularyFor, type ChunkSpec, type UserDocument } from '../src';

/** The sequence number back out of a generated `_id` (its last eight bytes). */
const seqOf = (id: ObjectId) => Number(Buffer.from(id.id).readBigUInt64BE(4));

const CREATED_AT = '2025-02-03T04:05:06.000Z';

function aSpec(overrides: Partial<ChunkSpec> = {}): ChunkSpec {
  return { jobId: 'c'.repeat(24), chunkIndex: 3, seed: 1234, seqStart: 5_000_000_000, count: 100, locale: 'en', createdAt: CREATED_AT, ...overrides };
}

const usersOf = (spec: ChunkSpec, batchSize?: number): UserDocument[] => [...generateChunk(spec, batchSize)].flat();
const namesOf = (users: UserDocument[]) => users.map((u) => `${u.name.first} ${u.name.last}`);
const localPart = (email: string) => email.slice(0, email.indexOf('@'));

describe('generateChunk', () => {
  it('is a pure function of the spec, ids included', () => {
    const a = usersOf(aSpec());
    const b = usersOf(aSpec());
    expect(a).toHaveLength(100);
    expect(b).toEqual(a);
    expect(b.map((u) => u._id.toHexString())).toEqual(a.map((u) => u._id.toHexString()));
  });

  it('differs for another chunk index or seed', () => {
    const names = namesOf(usersOf(aSpec()));
    expect(namesOf(usersOf(aSpec({ chunkIndex: 4 })))).not.toEqual(names);
    expect(namesOf(usersOf(aSpec({ seed: 1235 })))).not.toEqual(names);
  });

  it('yields the same users whatever the batch size', () => {
    const batches = [...generateChunk(aSpec(), 7)];
    expect(batches.map((b) => b.length)).toEqual([...new Array<number>(14).fill(7), 2]);
    expect(batches.flat()).toEqual(usersOf(aSpec(), 100));
  });

  it('numbers users from seqStart and derives their ids from it', () => {
    const users = usersOf(aSpec({ count: 5 }));
    expect(users.map((u) => u.seq)).toEqual([5_000_000_000, 5_000_000_001, 5_000_000_002, 5_000_000_003, 5_000_000_004]);
    for (const u of users) {
      expect(seqOf(u._id)).toBe(u.seq);
      expect(u._id.getTimestamp().toISOString()).toBe(CREATED_AT);
    }
  });

  describe('a 20,000-user chunk', () => {
    const spec = aSpec({ count: 20_000, seqStart: 0 });
    const users = usersOf(spec);

    it('has unique emails that embed the base-36 seq', () => {
      expect(new Set(users.map((u) => u.email)).size).toBe(20_000);
      expect(users.filter((u) => localPart(u.email).split('.').at(-1) !== u.seq.toString(36))).toEqual([]);
    });

    it('fills every field', () => {
      const createdAt = new Date(CREATED_AT).getTime();
      const checks: Record<string, (u: UserDocument) => boolean> = {
        jobId: (u) => u.jobId === spec.jobId,
        name: (u) => u.name.first.length > 0 && u.name.last.length > 0,
        email: (u) => /^[^\s@]+@[^\s@]+\.[a-z]{2,}$/.test(u.email),
        username: (u) => /^[a-z0-9]+$/.test(u.username),
        phone: (u) => /\d/.test(u.phone),
        gender: (u) => u.gender === 'female' || u.gender === 'male',
        birthDate: (u) => u.birthDate.getUTCFullYear() >= 1940 && u.birthDate.getUTCFullYear() <= 2008,
        avatar: (u) => new URL(u.avatar).protocol === 'https:',
        text: (u) => [u.address.street, u.address.city, u.address.country, u.company, u.jobTitle].every((s) => s.trim().length > 0),
        createdAt: (u) => u.createdAt.getTime() === createdAt,
      };
      const problems = users.flatMap((u) => Object.entries(checks).flatMap(([field, ok]) => (ok(u) ? [] : [`${u.seq}: ${field}`])));
      expect(problems).toEqual([]);
      expect(new Set(users.map((u) => u.gender))).toEqual(new Set(['female', 'male']));
    });
  });

  it('keeps email local parts ASCII for a non-English locale', () => {
    const users = usersOf(aSpec({ locale: 'de', count: 2_000 }));
    expect(users.some((u) => /[^\x00-\x7f]/.test(u.name.first + u.name.last))).toBe(true);
    for (const u of users) expect(localPart(u.email)).toMatch(/^[a-z0-9]+\.[a-z0-9]+\.[a-z0-9]+$/);
    expect(vocabularyFor('de').slug('Jürgen Müller')).toBe('jurgenmuller');
  });
});

describe('userIdFor and seqOf', () => {
  it.each([0, 1, 255, 2 ** 32 - 1, 2 ** 32, 2 ** 40])('round-trips seq %d', (seq) => {
    const id = userIdFor(1_700_000_000, seq);
    expect(seqOf(id)).toBe(seq);
    expect(id.getTimestamp().getTime()).toBe(1_700_000_000_000);
  });
});

describe('createRandom', () => {
  it('repeats its sequence for the same seeds only', () => {
    const draw = (...seeds: number[]) => Array.from({ length: 5 }, createRandom(...seeds).next);
    expect(draw(1, 2)).toEqual(draw(1, 2));
    expect(draw(1, 3)).not.toEqual(draw(1, 2));
  });

  it('draws integers in range, spread evenly over 10 buckets', () => {
    const rnd = createRandom(99, 0);
    const buckets = new Array<number>(10).fill(0);
    let outOfRange = 0;
    for (let i = 0; i < 100_000; i++) {
      const n = rnd.int(10);
      if (!Number.isInteger(n) || n < 0 || n >= 10) outOfRange++;
      else buckets[n] = (buckets[n] ?? 0) + 1;
    }
    expect(outOfRange).toBe(0);
    for (const b of buckets) expect(Math.abs(b - 10_000)).toBeLessThanOrEqual(1_000);
  });
});
