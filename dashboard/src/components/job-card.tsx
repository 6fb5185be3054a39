import type { JobView } from '@userforge/contracts/browser';
import { isActive } from '../api/job-state';
import { formatEta, formatNumber, formatRate } from './format';
import { JobDownloads } from './job-downloads';

export interface JobCardProps {
  job: JobView;
  onCancel?: (id: string) => void;
  onDismiss?: (id: string) => void;
  cancelling?: boolean;
  error?: string;
}

/** One job's live progress. */
export function JobCard({ job, onCancel, onDismiss, cancelling = false, error }: JobCardProps) {
  const percent = Math.max(0, Math.min(100, Math.round(job.progress * 100)));
  const active = isActive(job);
  return (
    <article className={`card job-card state-${job.state}`} aria-label={`Job ${job.id}`}>
      <header className="job-card-head">
        <h3 className="job-id">Job {job.id}</h3>
        <span className={`badge badge-${job.state}`}>{job.state}</span>
      </header>
      <div
        className="progress"
        role="progressbar"
        aria-label={`Job ${job.id} progress`}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent}
        aria-valuetext={`${percent}%`}
      >
        <div className="progress-fill" style={{ width: `${percent}%` }} />
      </div>
      <dl className="job-facts">
        <div>
          <dt>Progress</dt>
          <dd>{percent}%</dd>
        </div>
        <div>
          <dt>Users stored</dt>
          <dd>
            {formatNumber(job.usersStored)} / {formatNumber(job.count)}
          </dd>
        </div>
        <div>
          <dt>Speed</dt>
          <dd>{formatRate(job.usersPerSec)} users/s</dd>
        </div>
        <div>
          <dt>ETA</dt>
          <dd>{active ? formatEta(job.etaSeconds) : '—'}</dd>
        </div>
        <div>
          <dt>Chunks</dt>
          <dd>
            {formatNumber(job.chunksDone)} / {formatNumber(job.chunksTotal)}
          </dd>
        </div>
      </dl>
      {job.error && <p className="field-error">{job.error}</p>}
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
      <div className="actions">
        <JobDownloads jobId={job.id} />
        {active && onCancel && (
          <button type="button" onClick={() => onCancel(job.id)} disabled={cancelling}>
            Cancel
          </button>
        )}
        {!active && onDismiss && (
          <button type="button" className="secondary" onClick={() => onDismiss(job.id)}>
            Dismiss
          </button>
        )}
      </div>
    </article>
  );
}
