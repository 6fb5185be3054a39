import { createColumnHelper } from '@tanstack/react-table';
import type { JobView } from '@userforge/contracts/browser';
import { formatDateTime, formatDuration, formatNumber, formatRate } from '../components/format';
import { JobDownloads } from '../components/job-downloads';

const column = createColumnHelper<JobView>();

/** Columns of the job history table. */
export const jobColumns = [
  column.accessor('id', { header: 'Job', cell: (c) => <span className="mono">{c.getValue()}</span> }),
  column.accessor('state', { header: 'State', cell: (c) => <span className={`badge badge-${c.getValue()}`}>{c.getValue()}</span> }),
  column.accessor('count', { header: 'Users', cell: (c) => formatNumber(c.getValue()) }),
  column.accessor('usersStored', { header: 'Stored', cell: (c) => formatNumber(c.getValue()) }),
  column.accessor('progress', { header: 'Progress', cell: (c) => `${Math.round(c.getValue() * 100)}%` }),
  column.accessor('usersPerSec', { header: 'Users/s', cell: (c) => formatRate(c.getValue()) }),
  column.accessor('seed', { header: 'Seed' }),
  column.accessor('createdAt', { header: 'Created', cell: (c) => formatDateTime(c.getValue()) }),
  column.accessor((j) => formatDuration(j.startedAt, j.finishedAt), { id: 'duration', header: 'Duration' }),
  column.display({ id: 'download', header: 'Download', cell: (c) => <JobDownloads jobId={c.row.original.id} /> }),
];
