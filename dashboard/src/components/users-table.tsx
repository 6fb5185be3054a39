import type { KeyboardEvent } from 'react';
import { flexRender, type Table } from '@tanstack/react-table';
import type { UserView } from '@userforge/contracts/browser';
import { userColumns } from '../columns/user.columns';

export interface UsersTableProps {
  table: Table<UserView>;
  loading: boolean;
  /** The page on screen had no rows (not shown while the next page loads). */
  empty: boolean;
  selectedId: string | undefined;
  /** A row was opened (click, Enter or Space); `row` gets the focus back when its panel closes. */
  onOpen: (user: UserView, row: HTMLElement) => void;
}

/** The users table: sortable headers, rows that open the user's panel. */
export function UsersTable({ table, loading, empty, selectedId, onOpen }: UsersTableProps) {
  const onRowKey = (e: KeyboardEvent<HTMLTableRowElement>, user: UserView) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      onOpen(user, e.currentTarget);
    }
  };

  return (
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
              className={selectedId === row.original.id ? 'selected' : undefined}
              onClick={(e) => onOpen(row.original, e.currentTarget)}
              onKeyDown={(e) => onRowKey(e, row.original)}
            >
              {row.getVisibleCells().map((cell) => (
                <td key={cell.id}>{flexRender(cell.column.columnDef.cell, cell.getContext())}</td>
              ))}
            </tr>
          ))}
          {empty && (
            <tr>
              <td colSpan={userColumns.length} className="muted">
                No users match this view.
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}
