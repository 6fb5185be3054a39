import { COARSE_SLICE, FINE_SLICE, TallyBuilder, incrementsOf, locate, locateFine, moveDelta } from '../src/domain/tally';
import { foldDeltas } from '../src/domain/tally';

const user = (seq: number, country = 'France', gender = 'female') => ({ seq, gender, address: { country } });

describe('user tally', () => {
  it('merges consecutive sequence numbers into runs and counts countries and genders', () => {
    const delta = new TallyBuilder().add(user(5)).add(user(3)).add(user(4)).add(user(9, 'Peru', 'male')).build('chunk:x:0', new Date(0));
    expect(delta.seqs).toEqual([{ first: 3, count: 3, sign: 1 }, { first: 9, count: 1, sign: 1 }]);
    expect(delta.total).toBe(4);
    expect(delta.countries).toEqual([{ name: 'France', n: 3 }, { name: 'Peru', n: 1 }]);
    expect(delta.genders).toEqual([{ name: 'female', n: 3 }, { name: 'male', n: 1 }]);
  });

  it('splits a run across fine and coarse slices', () => {
    const incs = incrementsOf({ total: 250, seqs: [{ first: COARSE_SLICE - 150, count: 250, sign: 1 }], countries: [], genders: [] });
    const fine = Object.fromEntries(incs.filter((i) => i.hash === 'fine').map((i) => [i.field, i.by]));
    const coarse = Object.fromEntries(incs.filter((i) => i.hash === 'coarse').map((i) => [i.field, i.by]));
    const firstFine = (COARSE_SLICE - 150) / FINE_SLICE;
    expect(fine).toEqual({ [String(Math.floor(firstFine))]: 50, [String(Math.floor(firstFine) + 1)]: 100, [String(Math.floor(firstFine) + 2)]: 100 });
    expect(coarse).toEqual({ '0': 150, '1': 100 });
    expect(incs.find((i) => i.hash === 'totals')).toEqual({ hash: 'totals', field: 'users', by: 250 });
  });

  it('locates any rank exactly, across holes and deletions', () => {
    // Users 0..299 and 10,000..10,049, minus 150 and 10,001.
    const folded = foldDeltas([
      new TallyBuilder().add(user(0)).build('a', new Date(0)),
      { total: 299, seqs: [{ first: 1, count: 299, sign: 1 }], countries: [], genders: [] },
      { total: 50, seqs: [{ first: 10_000, count: 50, sign: 1 }], countries: [], genders: [] },
      new TallyBuilder(-1).add(user(150)).build('d1', new Date(0)),
      new TallyBuilder(-1).add(user(10_001)).build('d2', new Date(0)),
    ]);
    const present = [...Array(300).keys(), ...Array.from({ length: 50 }, (_, i) => 10_000 + i)].filter((s) => s !== 150 && s !== 10_001);
    for (const rank of [0, 99, 149, 150, 297, 298, 299, 346]) {
      const coarse = locate(rank, folded.coarse)!;
      const pos = locateFine(coarse.rest, coarse.coarseSlice, folded.fine)!;
      // The user at `rank` is the pos.skip-th present user from the start of the fine slice.
      const fromSlice = present.filter((s) => s >= pos.fineSlice * FINE_SLICE);
      expect(fromSlice[pos.skip]).toBe(present[rank]);
    }
    expect(locate(present.length, folded.coarse)).toBeNull();
  });

  it('moves a user between countries without touching totals; no-op when nothing moved', () => {
    const move = moveDelta('u', { gender: 'male', country: 'Peru' }, { gender: 'male', country: 'Chile' }, new Date(0))!;
    expect(foldDeltas([move]).snapshot).toEqual({ users: 0, countries: new Map([['Chile', 1]]), genders: new Map() });
    expect(moveDelta('u', { gender: 'male', country: 'Peru' }, { gender: 'male', country: 'Peru' }, new Date(0))).toBeNull();
  });
});
