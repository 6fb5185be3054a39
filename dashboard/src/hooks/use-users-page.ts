import { useCallback, useRef, useState } from 'react';
import type { PaginatedData, UserView } from '@userforge/contracts/browser';
import { api } from '../api/client';
import { useAbortableLoad } from './use-abortable-load';
import { sameListing, toListUsersQuery, type UsersViewState } from './table-state';

export interface UsersPageResult {
  /** The last page that arrived: it stays on screen while the next one loads. */
  page: PaginatedData<UserView> | null;
  /** The view `page` belongs to. */
  pageOf: UsersViewState | null;
  loading: boolean;
  error: string | null;
  /** Cursor (`after`) known for a page number of the current listing, learnt from the page before it. */
  cursorFor: (page: number) => string | undefined;
  /** Replaces one row in place (after an edit) without reloading. */
  replaceRow: (user: UserView) => void;
}

/** Loads the page a view asks for; a newer view aborts the older request. */
export function useUsersPage(state: UsersViewState, reloadKey: number): UsersPageResult {
  const [result, setResult] = useState<{ page: PaginatedData<UserView>; of: UsersViewState } | null>(null);
  const cursors = useRef<{ of: UsersViewState | null; byPage: Map<number, string> }>({ of: null, byPage: new Map() });
  const key = JSON.stringify(toListUsersQuery(state));
  const latest = useRef(state);
  latest.current = state;

  const { loading, error } = useAbortableLoad(
    (signal) => {
      const view = latest.current;
      return api.listUsers(toListUsersQuery(view), signal).then((page) => ({ page, view }));
    },
    ({ page, view }) => {
      if (!cursors.current.of || !sameListing(cursors.current.of, view)) cursors.current = { of: view, byPage: new Map() };
      if (page.next) cursors.current.byPage.set(view.page + 1, page.next);
      setResult({ page, of: view });
    },
    [key, reloadKey],
  );

  const cursorFor = useCallback(
    (page: number) => (cursors.current.of && sameListing(cursors.current.of, latest.current) ? cursors.current.byPage.get(page) : undefined),
    [],
  );

  const replaceRow = useCallback((user: UserView) => {
    setResult((r) => (r ? { ...r, page: { ...r.page, data: r.page.data.map((u) => (u.id === user.id ? user : u)) } } : r));
  }, []);

  return { page: result?.page ?? null, pageOf: result?.of ?? null, loading, error, cursorFor, replaceRow };
}
