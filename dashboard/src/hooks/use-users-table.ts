import { getCoreRowModel, useReactTable, type SortingState, type Updater } from '@tanstack/react-table';
import type { UserSort, UserView } from '@userforge/contracts/browser';
import { userColumns } from '../columns/user.columns';
import type { UsersViewState } from './table-state';

const sortingOf = (sort: UserSort): SortingState => (sort === 'email' ? [{ id: 'email', desc: false }] : [{ id: 'seq', desc: sort === '-seq' }]);

function sortOf(sorting: SortingState): UserSort {
  const first = sorting[0];
  if (!first) return 'seq';
  if (first.id === 'email') return 'email'; // the API sorts email ascending only
  return first.desc ? '-seq' : 'seq';
}

/** The users table, paged and sorted by the server: its page and sort come from the view, a new sort goes to `onSort`. */
export function useUsersTable(data: UserView[], state: UsersViewState, pages: number | null, onSort: (sort: UserSort) => void) {
  return useReactTable({
    data,
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
      if (sort !== state.sort) onSort(sort);
    },
  });
}
