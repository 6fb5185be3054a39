import { createColumnHelper } from '@tanstack/react-table';
import type { UserView } from '@userforge/contracts/browser';
import { formatDateTime } from '../components/format';

const column = createColumnHelper<UserView>();

/** Columns of the users table; only `seq` and `email` sort, because only they have an index (USER_SORTS). */
export const userColumns = [
  column.accessor('seq', {
    header: 'Seq',
    cell: (c) => c.getValue().toLocaleString('en-US'),
    enableSorting: true,
    sortDescFirst: false,
  }),
  column.accessor((u) => `${u.name.first} ${u.name.last}`, { id: 'name', header: 'Name', enableSorting: false }),
  column.accessor('email', { header: 'Email', enableSorting: true, sortDescFirst: false }),
  column.accessor('gender', { header: 'Gender', enableSorting: false }),
  column.accessor((u) => u.address.country, { id: 'country', header: 'Country', enableSorting: false }),
  column.accessor((u) => u.address.city, { id: 'city', header: 'City', enableSorting: false }),
  column.accessor('jobTitle', { header: 'Job title', enableSorting: false }),
  column.accessor('lastActive', { header: 'Last active', cell: (c) => formatDateTime(c.getValue()), enableSorting: false }),
];
