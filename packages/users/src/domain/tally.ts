/**
 * The user tally: how many users exist in each slice of the sequence-number space, per country and
 * per gender. Listing uses the slices to turn a page number into a position without a skip over
 * the collection, and statistics read the country and gender counts. Every change to the users
 * collection is described by one `TallyDelta` with a unique id, so applying it twice is harmless.
 */

/** Users per coarse slice of sequence numbers. */
export const COARSE_SLICE = 10_000;
/** Users per fine slice; a page lookup skips at most this many index entries. */
export const FINE_SLICE = 100;
export const FINE_PER_COARSE = COARSE_SLICE / FINE_SLICE;

export interface TallyDelta {
  /** `chunk:<jobId>:<index>`, `create:<userId>`, `delete:<userId>` or `update:<userId>:<ms>`. */
  _id: string;
  total: number;
  /** Runs of consecutive sequence numbers added (sign +1) or removed (-1). */
  seqs: { first: number; count: number; sign: 1 | -1 }[];
  /** Objects, not pairs: the MongoDB-wire database used locally stores no nested arrays. */
  countries: { name: string; n: number }[];
  genders: { name: string; n: number }[];
  at: Date;
}

/** One Redis increment: which hash, which field, by how much. */
export interface TallyIncrement {
  hash: 'totals' | 'coarse' | 'fine';
  field: string;
  by: number;
}

function addTo(map: Map<string, number>, key: string, by: number) {
  map.set(key, (map.get(key) ?? 0) + by);
}

/** The increments that apply a delta; zero increments are left out. */
export function incrementsOf(delta: Pick<TallyDelta, 'total' | 'seqs' | 'countries' | 'genders'>): TallyIncrement[] {
  const coarse = new Map<string, number>();
  const fine = new Map<string, number>();
  for (const { first, count, sign } of delta.seqs) {
    for (let seq = first, end = first + count; seq < end; ) {
      const fineSlice = Math.floor(seq / FINE_SLICE);
      const sliceEnd = Math.min(end, (fineSlice + 1) * FINE_SLICE);
      addTo(fine, String(fineSlice), (sliceEnd - seq) * sign);
      addTo(coarse, String(Math.floor(seq / COARSE_SLICE)), (sliceEnd - seq) * sign);
      seq = sliceEnd;
    }
  }
  const totals = new Map<string, number>();
  if (delta.total) totals.set('users', delta.total);
  for (const { name, n } of delta.countries) addTo(totals, `country:${name}`, n);
  for (const { name, n } of delta.genders) addTo(totals, `gender:${name}`, n);
  const out: TallyIncrement[] = [];
  for (const [hash, map] of [['totals', totals], ['coarse', coarse], ['fine', fine]] as const) {
    for (const [field, by] of map) if (by !== 0) out.push({ hash, field, by });
  }
  return out;
}

/** Accumulates the users of a chunk (or one user) into a delta without keeping the users. */
export class TallyBuilder {
  private readonly countries = new Map<string, number>();
  private readonly genders = new Map<string, number>();
  private readonly seqs: number[] = [];

  constructor(private readonly sign: 1 | -1 = 1) {}

  add(user: { seq: number; gender: string; address: { country: string } }): this {
    this.seqs.push(user.seq);
    addTo(this.countries, user.address.country, this.sign);
    addTo(this.genders, user.gender, this.sign);
    return this;
  }

  build(id: string, at: Date): TallyDelta {
    const runs: TallyDelta['seqs'] = [];
    for (const seq of [...this.seqs].sort((a, b) => a - b)) {
      const last = runs[runs.length - 1];
      if (last && last.first + last.count === seq) last.count++;
      else runs.push({ first: seq, count: 1, sign: this.sign });
    }
    const counted = (m: Map<string, number>) => [...m].map(([name, n]) => ({ name, n }));
    return { _id: id, total: this.sign * this.seqs.length, seqs: runs, countries: counted(this.countries), genders: counted(this.genders), at };
  }
}

/** A change of country or gender (the user's sequence number never changes). */
export function moveDelta(
  id: string,
  before: { gender: string; country: string },
  after: { gender: string; country: string },
  at: Date,
): TallyDelta | null {
  const countries = before.country === after.country ? [] : [{ name: before.country, n: -1 }, { name: after.country, n: 1 }];
  const genders = before.gender === after.gender ? [] : [{ name: before.gender, n: -1 }, { name: after.gender, n: 1 }];
  if (!countries.length && !genders.length) return null;
  return { _id: id, total: 0, seqs: [], countries, genders, at };
}

/** Where the item at a zero-based position sits: the fine slice to start from and how many to skip in it. */
export interface Position {
  fineSlice: number;
  skip: number;
  /** Every sequence number of the slice is present, so the item's own number is `slice start + skip`. */
  full: boolean;
}

/**
 * First step of finding the item at `offset` (zero-based, ascending by sequence number): the coarse
 * slice holding it and its position within that slice. Returns null past the end.
 */
export function locate(offset: number, coarse: ReadonlyMap<number, number>): { coarseSlice: number; rest: number } | null {
  let seen = 0;
  for (const slice of [...coarse.keys()].sort((a, b) => a - b)) {
    const n = coarse.get(slice) ?? 0;
    if (n <= 0) continue;
    if (offset < seen + n) return { coarseSlice: slice, rest: offset - seen };
    seen += n;
  }
  return null;
}

/** Second step of `locate`: within a coarse slice, the fine slice and the skip inside it. */
export function locateFine(rest: number, coarseSlice: number, fine: ReadonlyMap<number, number>): Position | null {
  let seen = 0;
  const first = coarseSlice * FINE_PER_COARSE;
  for (let slice = first; slice < first + FINE_PER_COARSE; slice++) {
    const n = fine.get(slice) ?? 0;
    if (n <= 0) continue;
    if (rest < seen + n) return { fineSlice: slice, skip: rest - seen, full: n === FINE_SLICE };
    seen += n;
  }
  return null;
}

export interface TallySnapshot {
  users: number;
  countries: Map<string, number>;
  genders: Map<string, number>;
}

/** Folds deltas into the numbers they add up to (used when Redis is unavailable, and by tests). */
export function foldDeltas(deltas: Iterable<Pick<TallyDelta, 'total' | 'seqs' | 'countries' | 'genders'>>) {
  const totals = new Map<string, number>();
  const coarse = new Map<number, number>();
  const fine = new Map<number, number>();
  for (const delta of deltas) {
    for (const { hash, field, by } of incrementsOf(delta)) {
      if (hash === 'totals') totals.set(field, (totals.get(field) ?? 0) + by);
      else {
        const map = hash === 'coarse' ? coarse : fine;
        map.set(Number(field), (map.get(Number(field)) ?? 0) + by);
      }
    }
  }
  return { snapshot: snapshotOf(totals), coarse, fine };
}

export function snapshotOf(totals: Map<string, number>): TallySnapshot {
  const countries = new Map<string, number>();
  const genders = new Map<string, number>();
  for (const [field, n] of totals) {
    if (n <= 0) continue;
    if (field.startsWith('country:')) countries.set(field.slice(8), n);
    else if (field.startsWith('gender:')) genders.set(field.slice(7), n);
  }
  return { users: totals.get('users') ?? 0, countries, genders };
}
