import { useMemo, useRef, useState } from 'react';
import { MAX_USERS_PAGE, type UserView } from '@userforge/contracts/browser';
import { ErrorAlert } from '../components/error-alert';
import { Pager } from '../components/pager';
import { UserFilterForm } from '../components/user-filter-form';
import { UserPanel } from '../components/user-panel';
import { UsersTable } from '../components/users-table';
import { navigate } from '../hooks/use-hash-route';
import { useUsersPage } from '../hooks/use-users-page';
import { useUsersTable } from '../hooks/use-users-table';
import {
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

const filtersOf = (s: UsersViewState): UserFilters => ({ email: s.email, name: s.name, country: s.country, search: s.search, gender: s.gender });

/** The users table: its whole state (page, size, sort, filters) is the hash query string. */
export function UsersPage({ query }: { query: string }) {
  const state = useMemo(() => parseUsersViewState(query), [query]);
  const setView = (next: UsersViewState) => navigate('/users', serializeUsersViewState(next));
  const [reloadKey, setReloadKey] = useState(0);
  const { page, pageOf, loading, error, cursorFor, replaceRow } = useUsersPage(state, reloadKey);
  const [selected, setSelected] = useState<UserView | null>(null);
  const opener = useRef<HTMLElement | null>(null);

  // The count of the listing on screen still holds while the next page of it loads.
  const total = page && pageOf && sameListing(pageOf, state) ? page.total : null;
  const pages = pageCount(total, state.limit);
  const onLastPage = pages !== null ? state.page >= pages : !!page && pageOf?.page === state.page && page.next === null;

  const goTo = (target: number) => {
    const pageNumber = Math.max(1, Math.min(Math.trunc(target) || 1, pages ?? MAX_USERS_PAGE));
    const after = needsCursor(state, pageNumber) ? cursorFor(pageNumber) : undefined;
    setView({ ...state, page: pageNumber, after });
  };

  const table = useUsersTable(page?.data ?? [], state, pages, (sort) => setView({ ...state, sort, page: 1, after: undefined }));

  const open = (user: UserView, row: HTMLElement) => {
    opener.current = row;
    setSelected(user);
  };
  const close = () => {
    setSelected(null);
    opener.current?.focus();
  };

  return (
    <section className="page" aria-labelledby="users-heading">
      <h1 id="users-heading" tabIndex={-1}>
        Users
      </h1>

      <UserFilterForm filters={filtersOf(state)} onApply={(filters) => setView({ ...state, ...filters, page: 1, after: undefined })} />

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

      <UsersTable table={table} loading={loading} empty={!!page && page.data.length === 0 && !loading} selectedId={selected?.id} onOpen={open} />

      <Pager page={state.page} pages={pages} onLastPage={onLastPage} maxPage={MAX_USERS_PAGE} onGo={goTo} />

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
