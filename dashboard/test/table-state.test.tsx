/** @jest-environment jsdom */
import {
  DEFAULT_VIEW,
  needsCursor,
  pageCount,
  parseUsersViewState,
  serializeUsersViewState,
  toListUsersQuery,
  type UsersViewState,
} from '../src/hooks/table-state';
import { hashFor, parseHash } from '../src/hooks/use-hash-route';

describe('users view state <-> URL', () => {
  it('reads the defaults from an empty query and writes them as an empty query', () => {
    expect(parseUsersViewState('')).toEqual(DEFAULT_VIEW);
    expect(serializeUsersViewState(DEFAULT_VIEW)).toBe('');
  });

  it('round-trips a full view', () => {
    const view: UsersViewState = {
      page: 3,
      limit: 25,
      sort: '-seq',
      email: 'ada@example.com',
      name: 'Ada Lovelace',
      country: 'United Kingdom',
      search: 'ada.',
      gender: 'female',
    };
    const query = serializeUsersViewState(view);
    expect(query).toBe('page=3&limit=25&sort=-seq&email=ada%40example.com&name=Ada+Lovelace&country=United+Kingdom&search=ada.&gender=female');
    expect(parseUsersViewState(query)).toEqual(view);
    expect(parseUsersViewState(`?${query}`)).toEqual(view);
    expect(parseUsersViewState(new URLSearchParams(query))).toEqual(view);
  });

  it('keeps a cursor for pages beyond the reach of page numbers', () => {
    const view: UsersViewState = { ...DEFAULT_VIEW, sort: 'email', page: 1002, after: 'b3Bh cXVl' };
    expect(parseUsersViewState(serializeUsersViewState(view))).toEqual(view);
  });

  it('falls back to the default for each invalid value', () => {
    const view = parseUsersViewState('page=-2&limit=7&sort=name&gender=other&email=%20%20&country=%20France%20');
    expect(view).toEqual({ ...DEFAULT_VIEW, country: 'France' });
    expect(parseUsersViewState('page=abc').page).toBe(1);
    expect(parseUsersViewState('page=2.5').page).toBe(1);
    expect(parseUsersViewState('page=999999999999').page).toBe(100_000_000);
    expect(parseUsersViewState('limit=100').limit).toBe(100);
  });

  it('writes values in a fixed order and leaves defaults out', () => {
    expect(serializeUsersViewState({ ...DEFAULT_VIEW, gender: 'male', page: 2 })).toBe('page=2&gender=male');
    expect(serializeUsersViewState({ ...DEFAULT_VIEW, limit: 50, sort: 'email' })).toBe('limit=50&sort=email');
  });

  it('builds the API query from a view', () => {
    expect(toListUsersQuery(DEFAULT_VIEW)).toEqual({ limit: '10', page: '1' });
    expect(toListUsersQuery({ ...DEFAULT_VIEW, page: 4, sort: '-seq', name: ' Ada ', gender: 'female' })).toEqual({
      limit: '10',
      page: '4',
      sort: '-seq',
      name: 'Ada',
      gender: 'female',
    });
  });

  it('knows when a page needs a cursor and how many pages there are', () => {
    expect(needsCursor(DEFAULT_VIEW, 5000)).toBe(false);
    expect(needsCursor({ ...DEFAULT_VIEW, country: 'France' }, 1001)).toBe(false);
    expect(needsCursor({ ...DEFAULT_VIEW, country: 'France' }, 1002)).toBe(true);
    expect(needsCursor({ ...DEFAULT_VIEW, sort: 'email', limit: 100 }, 102)).toBe(true);
    expect(pageCount(null, 10)).toBeNull();
    expect(pageCount(0, 10)).toBe(1);
    expect(pageCount(101, 25)).toBe(5);
  });

  it('splits and builds hash routes', () => {
    expect(parseHash('')).toEqual({ path: '/', query: '' });
    expect(parseHash('#/')).toEqual({ path: '/', query: '' });
    expect(parseHash('#/users?page=2&limit=25')).toEqual({ path: '/users', query: 'page=2&limit=25' });
    expect(hashFor('/users', 'page=2')).toBe('#/users?page=2');
    expect(hashFor('/jobs')).toBe('#/jobs');
  });
});
