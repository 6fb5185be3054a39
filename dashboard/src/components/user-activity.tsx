import type { ActivityView } from '@userforge/contracts/browser';
import { formatDateTime } from './format';

export interface UserActivityProps {
  /** null while it loads */
  activity: ActivityView[] | null;
  error: string | null;
}

/** A user's recent activity as a table. */
export function UserActivity({ activity, error }: UserActivityProps) {
  return (
    <section aria-labelledby="activity-heading">
      <h3 id="activity-heading">Recent activity</h3>
      {error && <p className="field-error">{error}</p>}
      {activity === null && !error && <p className="muted">Loading…</p>}
      {activity?.length === 0 && <p className="muted">No activity yet.</p>}
      {activity && activity.length > 0 && (
        <div className="table-wrap">
          <table className="activity">
            <thead>
              <tr>
                <th scope="col">Type</th>
                <th scope="col">Device</th>
                <th scope="col">Browser</th>
                <th scope="col">OS</th>
                <th scope="col">Time</th>
              </tr>
            </thead>
            <tbody>
              {activity.map((a) => (
                <tr key={a.id}>
                  <td>{a.type}</td>
                  <td>{a.device}</td>
                  <td>{a.browser}</td>
                  <td>{a.os}</td>
                  <td>
                    <time dateTime={a.at}>{formatDateTime(a.at)}</time>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
