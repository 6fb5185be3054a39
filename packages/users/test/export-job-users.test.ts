import { parse } from 'csv-parse/sync';
import type { JobState, UserView } from '@userforge/contracts';
import {
  encodeUsers,
  exportJobUsers,
  exportRange,
  flatten,
  generateChunk,
  toUserView,
  userCsvRow,
  USER_CSV_COLUMNS,
  USERS_PER_CHUNK,
  type ExportDeps,
  type ExportedJob,
  type SeqRange,
  type UserDocument,
} from '../src';

const JOB_ID = 'e'.repeat(24);

function aJob(overrides: Partial<ExportedJob> = {}): ExportedJob {
  return { _id: JOB_ID, state: 'succeeded', seqBase: 1000, count: 50, ...overrides };
}

/** Generated users of the sequence numbers `seqStart`…, as the consumer stores them. */
function someUsers(count: number, seqStart = 1000): UserDocument[] {
  return [...generateChunk({ jobId: JOB_ID, chunkIndex: 0, seed: 7, seqStart, count, locale: 'de', createdAt: '2025-02-03T04:05:06.000Z' })].flat();
}

/** A job repository and a user repository over arrays, recording the ranges asked for. */
function depsWith(job: ExportedJob | null, users: UserDocument[]) {
  const ranges: SeqRange[] = [];
  const deps: ExportDeps = {
    jobs: { findById: async (id) => (job && id === job._id ? job : null) },
    users: {
      async *streamBySeq(range) {
        ranges.push(range);
        for (const user of users) if (user.seq >= range.gte && user.seq < range.lt) yield user;
      },
    },
  };
  return { deps, ranges };
}

async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of source) out.push(item);
  return out;
}

async function* from<T>(items: T[]): AsyncGenerator<T> {
  yield* items;
}

describe('exportRange', () => {
  it("is the job's reserved range, or what follows `after` in it", () => {
    const job = { seqBase: 1000, count: 50 };
    expect(exportRange(job)).toEqual({ gte: 1000, lt: 1050 });
    expect(exportRange(job, 1000)).toEqual({ gte: 1001, lt: 1050 });
    expect(exportRange(job, 1048)).toEqual({ gte: 1049, lt: 1050 });
  });

  it('starts at the job when `after` is before it, and is empty once `after` reaches its end', () => {
    const job = { seqBase: 1000, count: 50 };
    expect(exportRange(job, 0)).toEqual({ gte: 1000, lt: 1050 });
    expect(exportRange(job, 1049)).toEqual({ gte: 1050, lt: 1050 });
    expect(exportRange(job, 5_000_000)).toEqual({ gte: 1050, lt: 1050 });
  });
});

describe('exportJobUsers', () => {
  it("streams the job's users as user views, from its range only", async () => {
    const users = [...someUsers(3, 997), ...someUsers(50), ...someUsers(3, 1050)];
    const { deps, ranges } = depsWith(aJob(), users);
    const exported = await exportJobUsers(deps, JOB_ID);
    const views = await collect(exported.users);
    expect(ranges).toEqual([{ gte: 1000, lt: 1050 }]);
    expect(views).toEqual(users.slice(3, 53).map(toUserView));
    expect(exported).toMatchObject({ jobId: JOB_ID, state: 'succeeded', complete: true });
  });

  it('resumes after a sequence number', async () => {
    const { deps } = depsWith(aJob(), someUsers(50));
    const views = await collect((await exportJobUsers(deps, JOB_ID, { after: 1039 })).users);
    expect(views.map((v) => v.seq)).toEqual(Array.from({ length: 10 }, (_, i) => 1040 + i));
  });

  it.each<[JobState, boolean]>([
    ['publishing', false],
    ['paused', false],
    ['running', false],
    ['succeeded', true],
    ['cancelled', false],
    ['failed', false],
  ])('says a %s job gives a complete export: %s', async (state, complete) => {
    const { deps } = depsWith(aJob({ state }), someUsers(5));
    expect(await exportJobUsers(deps, JOB_ID)).toMatchObject({ state, complete });
  });

  it('answers an unknown job with not_found and a malformed id with invalid_id, reading no users', async () => {
    const { deps, ranges } = depsWith(null, someUsers(5));
    await expect(exportJobUsers(deps, JOB_ID)).rejects.toMatchObject({ status: 404, code: 'not_found' });
    await expect(exportJobUsers(deps, 'nope')).rejects.toMatchObject({ status: 400, code: 'invalid_id' });
    expect(ranges).toEqual([]);
  });
});

describe('CSV rows', () => {
  it('flattens nested fields into dotted keys', () => {
    expect(flatten({ a: 1, name: { first: 'Ada', last: 'L' }, jobId: null, deep: { x: { y: 2 } } })).toEqual({
      a: 1,
      'name.first': 'Ada',
      'name.last': 'L',
      jobId: null,
      'deep.x.y': 2,
    });
  });

  it('has a column for every field of the user view, in its order', () => {
    const view = toUserView(someUsers(1)[0]!);
    expect([...USER_CSV_COLUMNS]).toEqual(Object.keys(flatten(view)));
  });

  it("puts a user's fields in column order, null as an empty cell", () => {
    const view = toUserView(someUsers(1)[0]!);
    const row = userCsvRow({ ...view, jobId: null });
    expect(row).toHaveLength(USER_CSV_COLUMNS.length);
    expect(row[USER_CSV_COLUMNS.indexOf('name.first')]).toBe(view.name.first);
    expect(row[USER_CSV_COLUMNS.indexOf('address.country')]).toBe(view.address.country);
    expect(row[USER_CSV_COLUMNS.indexOf('seq')]).toBe(view.seq);
    expect(row[USER_CSV_COLUMNS.indexOf('jobId')]).toBe('');
  });
});

describe('encodeUsers', () => {
  const views = someUsers(USERS_PER_CHUNK * 2 + 7).map(toUserView);

  it('writes NDJSON: one user view a line, nothing for no users', async () => {
    const text = (await collect(encodeUsers('ndjson', from(views)))).join('');
    expect(text.endsWith('\n')).toBe(true);
    expect(text.trimEnd().split('\n').map((line) => JSON.parse(line) as UserView)).toEqual(views);
    expect(await collect(encodeUsers('ndjson', from([])))).toEqual([]);
  });

  it('writes CSV a parser reads back as the flattened views, header once; only the header for no users', async () => {
    const text = (await collect(encodeUsers('csv', from(views)))).join('');
    const records = parse(text, { columns: true }) as Record<string, string>[];
    const expected = views.map((v) => Object.fromEntries(USER_CSV_COLUMNS.map((c, i) => [c, String(userCsvRow(v)[i])])));
    expect(records).toEqual(expected);
    expect(text.split('\r\n')[0]).toBe(USER_CSV_COLUMNS.join(','));
    expect((await collect(encodeUsers('csv', from([])))).join('')).toBe(`${USER_CSV_COLUMNS.join(',')}\r\n`);
  });

  it('quotes commas, quotes and line breaks (RFC 4180)', async () => {
    const odd = { ...views[0]!, company: 'Lovelace, "Babbage" & Co', jobTitle: 'line\nbreak', address: { ...views[0]!.address, street: 'cr\rhere' } };
    const text = (await collect(encodeUsers('csv', from([odd])))).join('');
    expect(text).toContain('"Lovelace, ""Babbage"" & Co"');
    expect(text).toContain('"line\nbreak"');
    const [record] = parse(text, { columns: true }) as Record<string, string>[];
    expect(record).toMatchObject({ company: odd.company, jobTitle: odd.jobTitle, 'address.street': 'cr\rhere' });
  });

  it('pulls users only as its chunks are read', async () => {
    let pulled = 0;
    async function* counted() {
      for (const v of views) {
        pulled++;
        yield v;
      }
    }
    const chunks = encodeUsers('ndjson', counted());
    const first = await chunks.next();
    expect(String(first.value).trimEnd().split('\n')).toHaveLength(USERS_PER_CHUNK);
    expect(pulled).toBe(USERS_PER_CHUNK);
    await chunks.return(undefined);
    expect(pulled).toBe(USERS_PER_CHUNK);
  });
});
