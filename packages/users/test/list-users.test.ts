import { listUsersQuerySchema } from '@userforge/contracts';
import { buildUserCriteria, decodeCursor, encodeCursor, knownTotal, toUserFilter } from '../src';

/** The database filter a query becomes: the domain's criteria, translated by the repository. */
const buildUserFilter = (query: Parameters<typeof buildUserCriteria>[0]) => {
  const criteria = buildUserCriteria(query);
  return criteria && toUserFilter(criteria);
};

const q = (raw: Record<string, unknown>) => listUsersQuerySchema.parse(raw);

describe('listing decisions (pure)', () => {
  it('builds filters only from fixed fields with plain string values', () => {
    expect(buildUserFilter(q({ email: 'A@B.io', country: 'Peru', gender: 'male', name: 'Ada  Lovelace' }))).toEqual({
      email: 'a@b.io',
      'address.country': 'Peru',
      gender: 'male',
      'name.first': 'Ada',
      'name.last': 'Lovelace',
    });
    expect(buildUserFilter(q({ search: 'Ada.' }))).toEqual({ email: { $gte: 'ada.', $lt: 'ada.\uffff' } });
    expect(buildUserFilter(q({ email: 'x@y.z', search: 'q' }))).toBeNull();
  });

  it('rejects anything that is not one plain value per known parameter', () => {
    expect(listUsersQuerySchema.safeParse({ email: { $ne: 'x' } }).success).toBe(false);
    expect(listUsersQuerySchema.safeParse({ country: ['a', 'b'] }).success).toBe(false);
    expect(listUsersQuerySchema.safeParse({ 'email[$ne]': 'x' }).success).toBe(false);
    expect(listUsersQuerySchema.safeParse({ sort: 'password' }).success).toBe(false);
  });

  it('round-trips cursors (a position, valid in every sort order) and refuses anything else', () => {
    const user = { seq: 42, email: "o'hara.b+1@b.c" };
    expect(decodeCursor(encodeCursor(user), 'seq')).toBe(42);
    expect(decodeCursor(encodeCursor(user), 'email')).toBe("o'hara.b+1@b.c");
    for (const bad of ['eyJzIjotMX0', '-1~a@b.c', '01~a@b.c', '1~', '1~A@B.C', '1~a\u0000b', '1234567890123456~a@b.c']) {
      expect(() => decodeCursor(bad, 'seq')).toThrow(/not a cursor/);
      expect(listUsersQuerySchema.safeParse({ after: bad }).success).toBe(false);
    }
  });

  it('knows totals it can read from the tally, and says null otherwise', () => {
    const tally = { users: 10, countries: new Map([['Peru', 3]]), genders: new Map([['male', 4]]) };
    expect(knownTotal(q({}), tally)).toBe(10);
    expect(knownTotal(q({ country: 'Peru' }), tally)).toBe(3);
    expect(knownTotal(q({ country: 'Chile' }), tally)).toBe(0);
    expect(knownTotal(q({ gender: 'male' }), tally)).toBe(4);
    expect(knownTotal(q({ gender: 'male', country: 'Peru' }), tally)).toBeNull();
  });
});
