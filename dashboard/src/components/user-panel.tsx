import { useCallback, useEffect, useRef, useState } from 'react';
import type { ActivityView, UserView } from '@userforge/contracts/browser';
import { api, errorMessage, isAbort } from '../api/client';
import { ErrorAlert } from './error-alert';
import { formatDateTime } from './format';
import { UserEditForm } from './user-edit-form';

export interface UserPanelProps {
  user: UserView;
  onClose: () => void;
  onUpdated: (user: UserView) => void;
  onDeleted: (id: string) => void;
}

type Mode = 'view' | 'edit' | 'confirm-delete';

/** Activity is stored by the consumer after the 202, so a new entry shows up a moment later. */
const ACTIVITY_POLL_MS = 500;
const ACTIVITY_POLL_FOR_MS = 5000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Side panel with one user's details, activity, edit and delete. */
export function UserPanel({ user: initial, onClose, onUpdated, onDeleted }: UserPanelProps) {
  const [user, setUser] = useState<UserView>(initial);
  const [mode, setMode] = useState<Mode>('view');
  const [activity, setActivity] = useState<ActivityView[] | null>(null);
  const [activityError, setActivityError] = useState<string | null>(null);
  const [status, setStatus] = useState<string>('');
  const [recording, setRecording] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const alive = useRef(true);

  useEffect(() => {
    alive.current = true;
    return () => {
      alive.current = false;
    };
  }, []);

  const loadActivity = useCallback(
    async (signal?: AbortSignal): Promise<ActivityView[] | null> => {
      try {
        const { data } = await api.listActivity(initial.id, signal);
        if (!alive.current) return null;
        setActivity(data);
        setActivityError(null);
        return data;
      } catch (e) {
        if (!isAbort(e) && alive.current) setActivityError(errorMessage(e));
        return null;
      }
    },
    [initial.id],
  );

  // A fresh copy of the user (the row may be stale) and its activity.
  useEffect(() => {
    setUser(initial);
    setMode('view');
    setActivity(null);
    setError(null);
    setStatus('');
    const controller = new AbortController();
    api
      .getUser(initial.id, controller.signal)
      .then((fresh) => alive.current && setUser(fresh))
      .catch((e: unknown) => !isAbort(e) && alive.current && setError(errorMessage(e)));
    void loadActivity(controller.signal);
    heading.current?.focus();
    return () => controller.abort();
  }, [initial, loadActivity]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape' && !deleting) onClose();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [onClose, deleting]);

  const record = async () => {
    setRecording(true);
    setStatus('Recording activity…');
    setError(null);
    const known = new Set((activity ?? []).map((a) => a.id));
    try {
      await api.recordActivity(user.id, 'visit');
      const until = Date.now() + ACTIVITY_POLL_FOR_MS;
      let arrived = false;
      while (!arrived && Date.now() < until && alive.current) {
        await sleep(ACTIVITY_POLL_MS);
        const list = await loadActivity();
        arrived = !!list?.some((a) => !known.has(a.id));
      }
      if (alive.current) setStatus(arrived ? 'Activity recorded.' : 'Activity accepted; it will appear in the list shortly.');
    } catch (e) {
      if (alive.current) {
        setStatus('');
        setError(errorMessage(e));
      }
    } finally {
      if (alive.current) setRecording(false);
    }
  };

  const remove = async () => {
    setDeleting(true);
    setError(null);
    try {
      await api.deleteUser(user.id);
      onDeleted(user.id);
    } catch (e) {
      if (alive.current) {
        setError(errorMessage(e));
        setDeleting(false);
      }
    }
  };

  const fullName = `${user.name.first} ${user.name.last}`;

  return (
    <div className="panel" role="dialog" aria-label="User details">
      <div className="panel-head">
        <h2 tabIndex={-1} ref={heading}>
          {fullName}
        </h2>
        <button type="button" className="secondary" onClick={onClose}>
          Close
        </button>
      </div>

      <ErrorAlert message={error} />

      {mode === 'edit' ? (
        <UserEditForm
          user={user}
          onCancel={() => setMode('view')}
          onSaved={(saved) => {
            setUser(saved);
            setMode('view');
            setStatus('Changes saved.');
            onUpdated(saved);
          }}
        />
      ) : (
        <>
          <dl className="details">
            <div>
              <dt>Email</dt>
              <dd>{user.email}</dd>
            </div>
            <div>
              <dt>Username</dt>
              <dd>{user.username}</dd>
            </div>
            <div>
              <dt>Phone</dt>
              <dd>{user.phone}</dd>
            </div>
            <div>
              <dt>Gender</dt>
              <dd>{user.gender}</dd>
            </div>
            <div>
              <dt>Birth date</dt>
              <dd>{user.birthDate}</dd>
            </div>
            <div>
              <dt>Job title</dt>
              <dd>{user.jobTitle || '—'}</dd>
            </div>
            <div>
              <dt>Company</dt>
              <dd>{user.company || '—'}</dd>
            </div>
            <div>
              <dt>Address</dt>
              <dd>
                {user.address.street}, {user.address.city}, {user.address.country}
              </dd>
            </div>
            <div>
              <dt>Seq</dt>
              <dd>{user.seq.toLocaleString('en-US')}</dd>
            </div>
            <div>
              <dt>Created</dt>
              <dd>{formatDateTime(user.createdAt)}</dd>
            </div>
            <div>
              <dt>Last active</dt>
              <dd>{formatDateTime(user.lastActive)}</dd>
            </div>
            <div>
              <dt>Id</dt>
              <dd className="mono">{user.id}</dd>
            </div>
          </dl>

          {mode === 'confirm-delete' ? (
            <div className="confirm" role="group" aria-label="Confirm deletion">
              <p>
                Delete {fullName}? This removes the user and their activity and cannot be undone.
              </p>
              <div className="actions">
                <button type="button" className="danger" onClick={remove} disabled={deleting}>
                  Confirm delete
                </button>
                <button type="button" className="secondary" onClick={() => setMode('view')} disabled={deleting}>
                  Cancel
                </button>
              </div>
            </div>
          ) : (
            <div className="actions">
              <button type="button" onClick={record} disabled={recording}>
                Record activity
              </button>
              <button type="button" className="secondary" onClick={() => setMode('edit')}>
                Edit
              </button>
              <button type="button" className="danger" onClick={() => setMode('confirm-delete')}>
                Delete
              </button>
            </div>
          )}
        </>
      )}

      <p role="status" className="status">
        {status}
      </p>

      <section aria-labelledby="activity-heading">
        <h3 id="activity-heading">Recent activity</h3>
        {activityError && <p className="field-error">{activityError}</p>}
        {activity === null && !activityError && <p className="muted">Loading…</p>}
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
    </div>
  );
}
