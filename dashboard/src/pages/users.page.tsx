import { useEffect, useMemo, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import { flexRender, getCoreRowModel, useReactTable, type SortingState, type Updater } from '@tanstack/react-table';
import { GENDERS, MAX_USERS_PAGE, type UserSort, type UserView } from '@userforge/contracts/browser';
import { userColumns } from '../columns/user.columns';
import { ErrorAlert } from '../components/error-alert';
import { UserPanel } from '../components/user-panel';
import { navigate } from '../hooks/use-hash-route';
import { useUsersPage } from '../hooks/use-users-page';
import {
  DEFAULT_FILTERS,
  PAGE_SIZES,
  needsCursor,
  pageCount,
  sameListing,
  parseUsersViewState,
  serializeUsersViewState,
  type PageSize,
  type UserFilters,
  type UsersViewState,
} from '../hooks/table-state';

const sortingOf = (sort: UserSort): SortingState => (sort === 'email' ? [{ id: 'email', desc: false }] : [{ id: 'seq', desc: sort === '-seq' }]);

function sortOf(sorting: SortingState): UserSort {
  const first = sorting[0];
  if (!first) return 'seq';
  if (first.id === 'email') return 'email'; // the API sorts email ascending only
  return first.desc ? '-seq' : 'seq';
}

const filtersOf = (s: UsersViewState): UserFilters => ({ email: s.email, name: s.name, country: s.country, search: s.search, gender: s.gender });

/** The users table: its whole state (page, size, sort, filters) is the hash query string. */
export function UsersPage({ query }: { query: string }) {
  const state = useMemo(() => parseUsersViewState(query), [query]);
  const setView = (next: UsersViewState) => navigate('/users', serializeUsersViewState(next));
  const [reloadKey, setReloadKey] = useState(0);
  const { page, pageOf, loading, error, cursorFor, replaceRow } = useUsersPage(state, reloadKey);
  const [draft, setDraft] = useState<UserFilters>(() => filtersOf(state));
  const [goto, setGoto] = useState(String(state.page));
  const [selected, setSelected] = useState<UserView | null>(null);
  const opener = useRef<HTMLElement | null>(null);

  // Back/forward or an edited link changes the view: the inputs follow it.
  const filtersKey = JSON.stringify(filtersOf(state));
  useEffect(() => setDraft(JSON.parse(filtersKey) as UserFilters), [filtersKey]);
  useEffect(() => setGoto(String(state.page)), [state.page]);

  // The count of the listing on screen still holds while the next page of it loads.
  const total = page && pageOf && sameListing(pageOf, state) ? page.total : null;
  const pages = pageCount(total, state.limit);
  const onLastPage = pages !== null ? state.page >= pages : !!page && pageOf?.page === state.page && page.next === null;

  const goTo = (target: number) => {
    const pageNumber = Math.max(1, Math.min(Math.trunc(target) || 1, pages ?? MAX_USERS_PAGE));
    const after = needsCursor(state, pageNumber) ? cursorFor(pageNumber) : undefined;
    setView({ ...state, page: pageNumber, after });
  };

  const table = useReactTable({
    data: page?.data ?? [],
    columns: userColumns,
    getCoreRowModel: getCoreRowModel(),
    getRowId: (u) => u.id,
    manualPagination: true,
    manualSorting: true,
    manualFiltering: true,
    enableMultiSort: false,
    enableSortingRemoval: false,
    pageCount: pages ?? -1,
    state: { pagination: { pageIndex: state.page - 1, pageSize: state.limit }, sorting: sortingOf(state.sort) },
    onSortingChange: (updater: Updater<SortingState>) => {
      const next = typeof updater === 'function' ? updater(sortingOf(state.sort)) : updater;
      const sort = sortOf(next);
      if (sort !== state.sort) setView({ ...state, sort, page: 1, after: undefined });
    },
  });

  const applyFilters = (e: FormEvent) => {
    e.preventDefault();
    setView({ ...state, ...draft, page: 1, after: undefined });
  };

  const clearFilters = () => {
    setDraft(DEFAULT_FILTERS);
    setView({ ...state, ...DEFAULT_FILTERS, page: 1, after: undefined });
  };

  const open = (user: UserView, row: HTMLElement) => {
    opener.current = row;
    setSelected(user);
  };
  const close = () => {
    setSelected(null);
    opener.current?.focus();
  };

  const onRowKey = (e: KeyboardEvent<HTMLTableRowElement>, user: UserView) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      open(user, e.currentTarget);
    }
  };

  return (
    <section className="page" aria-labelledby="users-heading">
      <h1 id="users-heading" tabIndex={-1}>
        Users
      </h1>

      <form className="card filters" onSubmit={applyFilters} aria-label="Filters" noValidate>
        <div className="form-grid">
          {(
            [
              ['email', 'Email', 'exact address'],
              ['name', 'Name', 'first name, or first and last'],
              ['country', 'Country', 'e.g. France'],
              ['search', 'Search', 'start of the email'],
            ] as const
          ).map(([key, label, placeholder]) => (
            <div className="field" key={key}>
              <label htmlFor={`filter-${key}`}>{label}</label>
              <input
                id={`filter-${key}`}
                type={key === 'email' ? 'email' : 'text'}
                value={draft[key]}
                placeholder={placeholder}
                onChange={(e) => setDraft((d) => ({ ...d, [key]: e.target.value }))}
              />
            </div>
          ))}
          <div className="field">
            <label htmlFor="filter-gender">Gender</label>
            <select
              id="filter-gender"
              value={draft.gender}
              onChange={(e) => setDraft((d) => ({ ...d, gender: e.target.value as UserFilters['gender'] }))}
            >
              <option value="">any</option>
              {GENDERS.map((g) => (
                <option key={g} value={g}>
                  {g}
                </option>
              ))}
            </select>
          </div>
        </div>
        <div className="actions">
          <button type="submit">Apply filters</button>
          <button type="button" className="secondary" onClick={clearFilters}>
            Clear filters
          </button>
        </div>
      </form>

      <ErrorAlert message={error} />

      <div className="table-toolbar">
        <div className="field inline">
          <label htmlFor="page-size">Rows per page</label>
          <select id="page-size" value={state.limit} onChange={(e) => setView({ ...state, limit: Number(e.target.value) as PageSize, page: 1, after: undefined })}>
            {PAGE_SIZES.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </div>
        <span className="muted">{total !== null ? `${total.toLocaleString('en-US')} users` : ''}</span>
        <span className="loading" role="status" aria-live="polite">
          {loading ? 'Loading…' : ''}
        </span>
      </div>

      <div className="table-wrap" tabIndex={0} role="region" aria-label="Users table, scrolls sideways on small screens">
        <table className={`data users${loading ? ' is-loading' : ''}`} aria-busy={loading}>
          <thead>
            {table.getHeaderGroups().map((group) => (
              <tr key={group.id}>
                {group.headers.map((header) => {
                  const sorted = header.column.getIsSorted();
                  const label = flexRender(header.column.columnDef.header, header.getContext());
                  return (
                    <th key={header.id} scope="col" aria-sort={sorted === 'asc' ? 'ascending' : sorted === 'desc' ? 'descending' : undefined}>
                      {header.column.getCanSort() ? (
                        <button type="button" className="sort" onClick={header.column.getToggleSortingHandler()}>
                          {label}
                          <span aria-hidden="true">{sorted === 'asc' ? ' ▲' : sorted === 'desc' ? ' ▼' : ' ↕'}</span>
                        </button>
                      ) : (
                        label
                      )}
                    </th>
                  );
                })}
              </tr>
            ))}
          </thead>
          <tbody>
            {table.getRowModel().rows.map((row) => (
              <tr
                key={row.id}
                tabIndex={0}
                className={selected?.id === row.original.id ? 'selected' : undefined}
                onClick={(e) => open(row.original, e.currentTarget)}
                onKeyDown={(e) => onRowKey(e, row.original)}
              >
                {row.getVisibleCells().map((cell) => (
                  <td key={cell.id}>{flexRender(cell.column.columnDef.cell, cell.getContext())}</td>
                ))}
              </tr>
            ))}
            {page && page.data.length === 0 && !loading && (
              <tr>
                <td colSpan={userColumns.length} className="muted">
                  No users match this view.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>

      <nav className="pager" aria-label="Pagination">
        <button type="button" onClick={() => goTo(state.page - 1)} disabled={state.page <= 1}>
          Previous page
        </button>
        <span className="page-of">{`Page ${state.page.toLocaleString('en-US')} of ${
          pages !== null ? pages.toLocaleString('en-US') : onLastPage ? state.page.toLocaleString('en-US') : 'many'
        }`}</span>
        <button type="button" onClick={() => goTo(state.page + 1)} disabled={onLastPage}>
          Next page
        </button>
        <form
          className="goto"
          onSubmit={(e) => {
            e.preventDefault();
            goTo(Number(goto));
          }}
        >
          <label htmlFor="goto-page">Go to page</label>
          <input id="goto-page" type="number" min={1} max={pages ?? MAX_USERS_PAGE} step={1} value={goto} onChange={(e) => setGoto(e.target.value)} />
          <button type="submit">Go</button>
        </form>
      </nav>

      {selected && (
        <UserPanel
          user={selected}
          onClose={close}
          onUpdated={replaceRow}
          onDeleted={() => {
            setSelected(null);
            setReloadKey((k) => k + 1);
            document.getElementById('users-heading')?.focus();
          }}
        />
      )}
    </section>
  );
}
