import { CURSOR, MAX_FILTERED_OFFSET, type ListUsersQuery, type PaginatedData, type UserView } from '@userforge/contracts';
import { AppError } from '@userforge/platform';
import type { UserDocument } from '../data/user';
import { FINE_PER_COARSE, FINE_SLICE, locate, locateFine, type TallySnapshot } from './tally';
import type { UserCriteria, UserOrder } from './user-criteria';
import { toUserView } from './user-view';


export interface ListDeps {
  users: { find(criteria: UserCriteria, options: { sort: UserOrder; skip?: number; limit: number }): Promise<UserDocument[]> };
  tally: {
    snapshot(): Promise<TallySnapshot>;
    coarse(): Promise<Map<number, number>>;
    fine(slices: number[]): Promise<Map<number, number>>;
  };
}

/**
 * The criteria of a validated query: equality and ranges on fixed fields with plain string values
 * only, so nothing a client sends can become a database operator. Null: nothing can match.
 */
export function buildUserCriteria(q: Pick<ListUsersQuery, 'email' | 'name' | 'country' | 'gender' | 'search'>): UserCriteria | null {
  const criteria: UserCriteria = {};
  if (q.email !== undefined) {
    if (q.search !== undefined && !q.email.startsWith(q.search)) return null; // cannot match anything
    criteria.email = q.email;
  } else if (q.search !== undefined) {
    // Prefix search on the email, which starts with `first.last`: served by the unique email index.
    criteria.emailRange = { gte: q.search, lt: `${q.search}\uffff` };
  }
  if (q.name !== undefined) {
    const [first, ...rest] = q.name.split(/\s+/);
    criteria.firstName = first;
    if (rest.length) criteria.lastName = rest.join(' ');
  }
  if (q.country !== undefined) criteria.country = q.country;
  if (q.gender !== undefined) criteria.gender = q.gender;
  return criteria;
}

/** The cursor of a page's last user: its position in every sort order (see CURSOR in the contracts). */
export function encodeCursor(user: Pick<UserDocument, 'seq' | 'email'>): string {
  return `${user.seq}~${user.email}`;
}

/** Where to continue: the sequence number or the email of the cursor, by the listing's sort field. */
export function decodeCursor(raw: string, field: 'seq' | 'email'): number | string {
  if (!CURSOR.test(raw)) throw AppError.badRequest('invalid query: after: not a cursor of this listing (send back the `next` of the previous page)', undefined, 'validation_failed');
  const at = raw.indexOf('~');
  return field === 'seq' ? Number(raw.slice(0, at)) : raw.slice(at + 1);
}

/** Total for a filter, when the tally knows it without counting. */
export function knownTotal(q: ListUsersQuery, tally: TallySnapshot): number | null {
  const filters = (['email', 'name', 'country', 'gender', 'search'] as const).filter((k) => q[k] !== undefined);
  if (filters.length === 0) return tally.users;
  if (filters.length === 1 && q.country !== undefined) return tally.countries.get(q.country) ?? 0;
  if (filters.length === 1 && q.gender !== undefined) return tally.genders.get(q.gender) ?? 0;
  return null;
}

/**
 * A page of users. `after` continues from a cursor (keyset). A page number without filters is
 * turned into a position through the tally, so page 100,000 costs one indexed range read plus a
 * skip of under 100 entries; with filters, page numbers reach item MAX_FILTERED_OFFSET (later ones
 * are empty).
 */
export async function listUsers(deps: ListDeps, q: ListUsersQuery): Promise<PaginatedData<UserView>> {
  const field = q.sort === 'email' ? 'email' : 'seq';
  const dir = q.sort === '-seq' ? -1 : 1;
  const sort = { field, dir } as const;
  const filter = buildUserCriteria(q);
  const tally = await deps.tally.snapshot();
  const total = knownTotal(q, tally);
  const page = (rows: UserDocument[]): PaginatedData<UserView> => ({
    data: rows.slice(0, q.limit).map(toUserView),
    page: q.page,
    limit: q.limit,
    total: total ?? (q.email !== undefined && q.page === 1 && !q.after ? Math.min(rows.length, 1) : null),
    next: rows.length > q.limit ? encodeCursor(rows[q.limit - 1]!) : null,
  });
  if (filter === null) return page([]);

  if (q.after !== undefined) {
    const from = decodeCursor(q.after, field);
    const after = field === 'seq' ? { seqRange: dir === 1 ? { gt: from as number } : { lt: from as number } } : { email: undefined, emailRange: { gt: from as string } };
    return page(await deps.users.find({ ...filter, ...after }, { sort, limit: q.limit + 1 }));
  }

  const offset = (q.page - 1) * q.limit;
  const unfiltered = Object.keys(filter).length === 0;
  if (!unfiltered || field === 'email') {
    // Deeper pages would be a scan; they come back empty (documented on `page`): continue with `after`.
    if (offset > MAX_FILTERED_OFFSET) return page([]);
    return page(await deps.users.find(filter, { sort, skip: offset, limit: q.limit + 1 }));
  }

  if (offset >= tally.users) return page([]);
  const at = await positionOfRank(deps, dir === 1 ? offset : tally.users - 1 - offset);
  if (!at) return page([]);
  // In a slice with no holes the item's sequence number is known: no skip at all.
  const from = at.full ? { seq: at.fineSlice * FINE_SLICE + at.skip, skip: 0 } : { seq: at.fineSlice * FINE_SLICE, skip: at.skip };
  if (dir === 1) {
    return page(await deps.users.find({ seqRange: { gte: from.seq } }, { sort, skip: from.skip, limit: q.limit + 1 }));
  }
  // Descending: the page starts at ascending rank `users - 1 - offset` and goes down from there.
  let start = from.seq;
  if (!at.full) {
    const [first] = await deps.users.find({ seqRange: { gte: from.seq } }, { sort: { field: 'seq', dir: 1 }, skip: from.skip, limit: 1 });
    if (!first) return page([]);
    start = first.seq;
  }
  return page(await deps.users.find({ seqRange: { lte: start } }, { sort, limit: q.limit + 1 }));
}

/** Where the user at a zero-based rank (ascending) sits: a fine slice of the tally and a skip under 100. */
async function positionOfRank(deps: ListDeps, rank: number) {
  const coarse = locate(rank, await deps.tally.coarse());
  if (!coarse) return null;
  const firstFine = coarse.coarseSlice * FINE_PER_COARSE;
  const fine = await deps.tally.fine(Array.from({ length: FINE_PER_COARSE }, (_, i) => firstFine + i));
  return locateFine(coarse.rest, coarse.coarseSlice, fine);
}
