import type { UserView } from '@userforge/contracts/browser';
import { useUserPanel, type UserPanelHandlers } from '../hooks/use-user-panel';
import { ErrorAlert } from './error-alert';
import { UserActivity } from './user-activity';
import { UserDetails } from './user-details';
import { UserEditForm } from './user-edit-form';

export interface UserPanelProps extends UserPanelHandlers {
  user: UserView;
}

/** Side panel with one user's details, activity, edit and delete. */
export function UserPanel({ user: initial, ...handlers }: UserPanelProps) {
  const { user, mode, setMode, status, error, recording, deleting, heading, activity, activityError, record, remove, saved } = useUserPanel(initial, handlers);
  const fullName = `${user.name.first} ${user.name.last}`;

  return (
    <div className="panel" role="dialog" aria-label="User details">
      <div className="panel-head">
        <h2 tabIndex={-1} ref={heading}>
          {fullName}
        </h2>
        <button type="button" className="secondary" onClick={handlers.onClose}>
          Close
        </button>
      </div>

      <ErrorAlert message={error} />

      {mode === 'edit' ? (
        <UserEditForm user={user} onCancel={() => setMode('view')} onSaved={saved} />
      ) : (
        <>
          <UserDetails user={user} />

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

      <UserActivity activity={activity} error={activityError} />
    </div>
  );
}
