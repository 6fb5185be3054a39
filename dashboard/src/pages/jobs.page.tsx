import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { flexRender, getCoreRowModel, useReactTable } from '@tanstack/react-table';
import type { JobView, PaginatedData } from '@userforge/contracts/browser';
import { api, errorMessage } from '../api/client';
import { useAbortableLoad } from '../hooks/use-abortable-load';
import { isNewer, isTerminal } from '../api/job-state';
import { jobColumns } from '../columns/job.columns';
import { ErrorAlert } from '../components/error-alert';
import { JobCard } from '../components/job-card';
import { JobForm } from '../components/job-form';
import { useJobEvents, useLive, useLiveStore, useOnConnect } from '../hooks/use-live';

const HISTORY_LIMIT = 10;

/** Job history (`GET /v1/jobs`, newest first), reloaded when a job ends or starts. */
function useJobHistory(page: number) {
  const store = useLiveStore();
  const [history, setHistory] = useState<PaginatedData<JobView> | null>(null);
  const [reloadKey, setReloadKey] = useState(0);
  const reload = useCallback(() => setReloadKey((k) => k + 1), []);
  const { loading, error } = useAbortableLoad(
    (signal) => api.listJobs(page, HISTORY_LIMIT, signal),
    (result) => {
      // Also corrects live cards whose end was missed while the stream was down.
      for (const job of result.data) store.upsert(job, false);
      setHistory(result);
    },
    [page, reloadKey, store],
  );

  return { history, error, loading, reload };
}

export function JobsPage() {
  const store = useLiveStore();
  const live = useLive();
  const [page, setPage] = useState(1);
  const { history, error, loading, reload } = useJobHistory(page);
  const [cancelling, setCancelling] = useState<ReadonlySet<string>>(new Set());
  const [cancelErrors, setCancelErrors] = useState<Record<string, string>>({});
  const reloadSoon = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  const scheduleReload = useCallback(() => {
    if (reloadSoon.current !== undefined) return;
    reloadSoon.current = setTimeout(() => {
      reloadSoon.current = undefined;
      reload();
    }, 300);
  }, [reload]);
  useEffect(() => () => clearTimeout(reloadSoon.current), []);

  useJobEvents((job, previous) => {
    const ended = isTerminal(job) && (!previous || !isTerminal(previous));
    if (ended || !previous) scheduleReload();
  });
  useOnConnect(scheduleReload);

  const cards = live.watched.map((id) => live.jobs.get(id)).filter((j): j is JobView => j !== undefined);

  // History rows show the live state of jobs still running.
  const rows = useMemo(
    () =>
      (history?.data ?? []).map((job) => {
        const current = live.jobs.get(job.id);
        return current && isNewer(current, job) ? current : job;
      }),
    [history, live.jobs],
  );

  const table = useReactTable({
    data: rows,
    columns: jobColumns,
    getCoreRowModel: getCoreRowModel(),
    getRowId: (j) => j.id,
    manualPagination: true,
  });

  const cancel = async (id: string) => {
    setCancelling((s) => new Set(s).add(id));
    setCancelErrors(({ [id]: _, ...rest }) => rest);
    try {
      store.upsert(await api.cancelJob(id));
    } catch (e) {
      setCancelErrors((errs) => ({ ...errs, [id]: errorMessage(e) }));
    } finally {
      setCancelling((s) => {
        const next = new Set(s);
        next.delete(id);
        return next;
      });
    }
  };

  const total = history?.total ?? null;
  const pages = total === null ? null : Math.max(1, Math.ceil(total / HISTORY_LIMIT));
  const lastPage = pages !== null ? page >= pages : history?.next === null;

  return (
    <section className="page" aria-labelledby="jobs-heading">
      <h1 id="jobs-heading">Jobs</h1>

      <h2>Start a job</h2>
      <JobForm
        onStarted={(job) => {
          store.upsert(job);
          if (page !== 1) setPage(1);
          else scheduleReload();
        }}
      />

      <h2>Live jobs</h2>
      {cards.length === 0 ? (
        <p className="muted">No job is running.</p>
      ) : (
        <div className="job-cards">
          {[...cards].reverse().map((job) => (
            <JobCard
              key={job.id}
              job={job}
              onCancel={cancel}
              onDismiss={(id) => store.dismiss(id)}
              cancelling={cancelling.has(job.id)}
              error={cancelErrors[job.id]}
            />
          ))}
        </div>
      )}

      <h2 id="history-heading">History</h2>
      <ErrorAlert message={error} />
      <div className="table-wrap" tabIndex={0} role="region" aria-labelledby="history-heading">
        <table className="data" aria-busy={loading}>
          <thead>
            {table.getHeaderGroups().map((group) => (
              <tr key={group.id}>
                {group.headers.map((header) => (
                  <th key={header.id} scope="col">
                    {flexRender(header.column.columnDef.header, header.getContext())}
                  </th>
                ))}
              </tr>
            ))}
          </thead>
          <tbody>
            {table.getRowModel().rows.map((row) => (
              <tr key={row.id}>
                {row.getVisibleCells().map((cell) => (
                  <td key={cell.id}>{flexRender(cell.column.columnDef.cell, cell.getContext())}</td>
                ))}
              </tr>
            ))}
            {history && history.data.length === 0 && (
              <tr>
                <td colSpan={jobColumns.length} className="muted">
                  No jobs yet.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      <nav className="pager" aria-label="Job history pages">
        <button type="button" onClick={() => setPage((p) => Math.max(1, p - 1))} disabled={page <= 1}>
          Previous page
        </button>
        <span className="page-of">{`Page ${page} of ${pages ?? (lastPage ? page : 'many')}`}</span>
        <button type="button" onClick={() => setPage((p) => p + 1)} disabled={lastPage}>
          Next page
        </button>
        <span className="loading" role="status" aria-live="polite">
          {loading ? 'Loading…' : ''}
        </span>
      </nav>
    </section>
  );
}
