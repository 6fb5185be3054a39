import {
  DEFAULT_PAGE_LIMIT,
  GENDERS,
  MAX_CURSOR_LENGTH,
  MAX_FILTERED_OFFSET,
  MAX_PAGE_LIMIT,
  MAX_USERS_PAGE,
  USER_FIELD_MAX,
  USER_SORTS,
  type Gender,
  type ListUsersQuery,
  type UserSort,
} from '@userforge/contracts/browser';

/**
 * The users view as the URL carries it (`#/users?page=2&limit=25&sort=-seq&country=France`), so a
 * link reopens the same view. Pure functions: parse what any hand-edited URL holds, write only what
 * differs from the defaults, in a fixed order.
 */

export const PAGE_SIZES = [10, 25, 50, MAX_PAGE_LIMIT] as const;
export type PageSize = (typeof PAGE_SIZES)[number];

export interface UserFilters {
  email: string;
  name: string;
  country: string;
  search: string;
  /** '' = any */
  gender: Gender | '';
}

export interface UsersViewState extends UserFilters {
  page: number;
  limit: PageSize;
  sort: UserSort;
  /** Cursor of the previous page, for pages beyond the reach of page numbers. */
  after?: string;
}

export const DEFAULT_FILTERS: UserFilters = { email: '', name: '', country: '', search: '', gender: '' };
export const DEFAULT_VIEW: UsersViewState = { page: 1, limit: DEFAULT_PAGE_LIMIT, sort: 'seq', ...DEFAULT_FILTERS };

const TEXT_FILTERS = ['email', 'name', 'country', 'search'] as const;

const isOneOf = <T extends string | number>(list: readonly T[], value: unknown): value is T => (list as readonly unknown[]).includes(value);

function parsePage(raw: string | null): number {
  if (raw === null || !/^\d+$/.test(raw.trim())) return DEFAULT_VIEW.page;
  const page = Number(raw.trim());
  return page >= 1 ? Math.min(page, MAX_USERS_PAGE) : DEFAULT_VIEW.page;
}

/** Reads a view from a query string (with or without `?`); anything invalid falls back to its default. */
export function parseUsersViewState(query: string | URLSearchParams): UsersViewState {
  const params = typeof query === 'string' ? new URLSearchParams(query.replace(/^\?/, '')) : query;
  const limit = Number(params.get('limit'));
  const sort = params.get('sort');
  const gender = params.get('gender');
  const state: UsersViewState = {
    page: parsePage(params.get('page')),
    limit: isOneOf(PAGE_SIZES, limit) ? limit : DEFAULT_VIEW.limit,
    sort: isOneOf(USER_SORTS, sort) ? sort : DEFAULT_VIEW.sort,
    gender: isOneOf(GENDERS, gender) ? gender : '',
    email: '',
    name: '',
    country: '',
    search: '',
  };
  for (const key of TEXT_FILTERS) state[key] = (params.get(key) ?? '').trim().slice(0, USER_FIELD_MAX[key]);
  const after = params.get('after')?.trim();
  if (after) state.after = after.slice(0, MAX_CURSOR_LENGTH);
  return state;
}

/** Writes a view as a query string (no `?`): only values that differ from the defaults, in a fixed order. */
export function serializeUsersViewState(state: UsersViewState): string {
  const params = new URLSearchParams();
  if (state.page !== DEFAULT_VIEW.page) params.set('page', String(state.page));
  if (state.limit !== DEFAULT_VIEW.limit) params.set('limit', String(state.limit));
  if (state.sort !== DEFAULT_VIEW.sort) params.set('sort', state.sort);
  for (const key of TEXT_FILTERS) {
    const value = state[key].trim();
    if (value) params.set(key, value);
  }
  if (state.gender) params.set('gender', state.gender);
  if (state.after) params.set('after', state.after);
  return params.toString();
}

export function hasFilters(state: UserFilters): boolean {
  return TEXT_FILTERS.some((key) => state[key].trim() !== '') || state.gender !== '';
}

/** Whether page numbers cannot reach `page` of this view (the API then needs the cursor of the page before). */
export function needsCursor(state: Pick<UsersViewState, keyof UserFilters | 'sort' | 'limit'>, page: number): boolean {
  return (hasFilters(state) || state.sort === 'email') && (page - 1) * state.limit > MAX_FILTERED_OFFSET;
}

/** The `GET /v1/users` query for a view. */
export function toListUsersQuery(state: UsersViewState): Record<string, string> {
  const query: Partial<Record<keyof ListUsersQuery, string>> = { limit: String(state.limit), page: String(state.page) };
  if (state.sort !== 'seq') query.sort = state.sort;
  for (const key of TEXT_FILTERS) if (state[key].trim()) query[key] = state[key].trim();
  if (state.gender) query.gender = state.gender;
  if (state.after) query.after = state.after;
  return query as Record<string, string>;
}

/** Same filters (and sort), so cursors and page counts of one still hold for the other. */
export function sameListing(a: UsersViewState, b: UsersViewState): boolean {
  return a.sort === b.sort && a.limit === b.limit && TEXT_FILTERS.every((k) => a[k] === b[k]) && a.gender === b.gender;
}

/** Pages of a listing, or null when the API could not count it. */
export function pageCount(total: number | null, limit: number): number | null {
  return total === null ? null : Math.max(1, Math.ceil(total / limit));
}
