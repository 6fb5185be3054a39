import { NO_CONTROL_CHARS, exportUsersQuerySchema, wholeNumberPattern } from '../src';

describe('wholeNumberPattern', () => {
  it('accepts exactly 1..max in plain decimal, for many bounds', () => {
    const bounds = [1, 5, 9, 10, 11, 99, 100, 101, 1234, 20_000, 54_321];
    for (const max of bounds) {
      const re = wholeNumberPattern(max);
      for (let n = 0; n <= max + 50; n++) expect([n, re.test(String(n))]).toEqual([n, n >= 1 && n <= max]);
    }
  });

  it('refuses signs, leading zeros, decimals and spaces; holds at large bounds', () => {
    for (const max of [1_000_000_000, 4_294_967_295, 100_000_000]) {
      const re = wholeNumberPattern(max);
      for (const s of ['0', '01', '-1', '+1', '1.0', '1e3', '', ' 1', '1 ', String(max + 1), `${max}0`]) expect([max, s, re.test(s)]).toEqual([max, s, false]);
      for (const n of [1, 9, 10, max - 1, max, Math.floor(max / 7)]) expect([max, n, re.test(String(n))]).toEqual([max, n, true]);
    }
  });
});

describe('NO_CONTROL_CHARS', () => {
  it('refuses every C0 control, DEL and C1 control, and nothing printable', () => {
    for (let code = 0; code < 0x250; code++) {
      const control = code < 0x20 || (code >= 0x7f && code <= 0x9f);
      expect([code, NO_CONTROL_CHARS.test(`a${String.fromCharCode(code)}b`)]).toEqual([code, !control]);
    }
  });
});

describe('exportUsersQuerySchema', () => {
  it('takes a format and a sequence number to resume after, nothing else', () => {
    expect(exportUsersQuerySchema.parse({})).toEqual({});
    expect(exportUsersQuerySchema.parse({ format: 'csv', after: '0' })).toEqual({ format: 'csv', after: 0 });
    expect(exportUsersQuerySchema.parse({ after: '999999999999999' })).toEqual({ after: 999_999_999_999_999 });
    for (const bad of [{ format: 'json' }, { format: ['csv', 'ndjson'] }, { after: '-1' }, { after: '01' }, { after: '1.5' }, { after: '' }, { after: '1000000000000000' }, { limit: '5' }]) {
      expect([bad, exportUsersQuerySchema.safeParse(bad).success]).toEqual([bad, false]);
    }
  });
});
