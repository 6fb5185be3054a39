import { useCallback, useState, type RefObject } from 'react';
import type { ActivityView } from '@userforge/contracts/browser';
import { api, errorMessage, isAbort } from '../api/client';

/** Activity is stored by the consumer after the 202, so a new entry shows up a moment later. */
const ACTIVITY_POLL_MS = 500;
const ACTIVITY_POLL_FOR_MS = 5000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One user's recent activity (null until it has loaded), and recording a visit. */
export function useUserActivity(userId: string, alive: RefObject<boolean>) {
  const [activity, setActivity] = useState<ActivityView[] | null>(null);
  const [activityError, setActivityError] = useState<string | null>(null);

  const load = useCallback(
    async (signal?: AbortSignal): Promise<ActivityView[] | null> => {
      try {
        const { data } = await api.listActivity(userId, signal);
        if (!alive.current) return null;
        setActivity(data);
        setActivityError(null);
        return data;
      } catch (e) {
        if (!isAbort(e) && alive.current) setActivityError(errorMessage(e));
        return null;
      }
    },
    [userId, alive],
  );

  const clear = useCallback(() => setActivity(null), []);

  /** Records a visit, then polls until a new entry shows up; false when it has not yet after a few seconds. */
  const recordVisit = async (): Promise<boolean> => {
    const known = new Set((activity ?? []).map((a) => a.id));
    await api.recordActivity(userId, 'visit');
    const until = Date.now() + ACTIVITY_POLL_FOR_MS;
    let arrived = false;
    while (!arrived && Date.now() < until && alive.current) {
      await sleep(ACTIVITY_POLL_MS);
      const list = await load();
      arrived = !!list?.some((a) => !known.has(a.id));
    }
    return arrived;
  };

  return { activity, activityError, load, clear, recordVisit };
}
