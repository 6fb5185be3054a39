import { EXPORT_FORMATS, type ExportFormat } from '@userforge/contracts/browser';
import { jobUsersExportUrl } from '../api/client';

const LABELS: Record<ExportFormat, string> = { ndjson: 'NDJSON', csv: 'CSV' };

/** Download links for a job's users, one per export format; a job still at work downloads what is stored so far. */
export function JobDownloads({ jobId }: { jobId: string }) {
  return (
    <span className="downloads" role="group" aria-label={`Download the users of job ${jobId}`}>
      {EXPORT_FORMATS.map((format) => (
        <a key={format} className="download" href={jobUsersExportUrl(jobId, format)} download>
          {LABELS[format]}
        </a>
      ))}
    </span>
  );
}
