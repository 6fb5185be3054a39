import { useEffect, useRef, useState } from 'react';
import type { UserView } from '@userforge/contracts/browser';
import { api, errorMessage, isAbort } from '../api/client';
import { useAlive } from './use-alive';
import { useUserActivity } from './use-user-activity';

export interface UserPanelHandlers {
  onClose: () => void;
  onUpdated: (user: UserView) => void;
  onDeleted: (id: string) => void;
}

export type UserPanelMode = 'view' | 'edit' | 'confirm-delete';

/** The user panel's state and actions: a fresh copy of the user, its activity, record, edit and delete. */
export function useUserPanel(initial: UserView, { onClose, onUpdated, onDeleted }: UserPanelHandlers) {
  const [user, setUser] = useState<UserView>(initial);
  const [mode, setMode] = useState<UserPanelMode>('view');
  const [status, setStatus] = useState<string>('');
  const [recording, setRecording] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const alive = useAlive();
  const { activity, activityError, load: loadActivity, clear: clearActivity, recordVisit } = useUserActivity(initial.id, alive);

  // A fresh copy of the user (the row may be stale) and its activity.
  useEffect(() => {
    setUser(initial);
    setMode('view');
    clearActivity();
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
  }, [initial, loadActivity, clearActivity, alive]);

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
    try {
      const arrived = await recordVisit();
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

  const saved = (next: UserView) => {
    setUser(next);
    setMode('view');
    setStatus('Changes saved.');
    onUpdated(next);
  };

  return { user, mode, setMode, status, error, recording, deleting, heading, activity, activityError, record, remove, saved };
}
