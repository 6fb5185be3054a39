import type { Condition } from '../api/v1alpha1/user-generation-job.types';

type Wanted = Pick<Condition, 'type' | 'status' | 'reason' | 'message'>;

/**
 * Sets conditions the Kubernetes way: `lastTransitionTime` moves only when a condition's status
 * changes; reason, message and observedGeneration follow the latest decision. Order is kept stable.
 */
export function setConditions(current: Condition[] | undefined, wanted: Wanted[], generation: number, now: Date): Condition[] {
  const out = [...(current ?? [])];
  for (const w of wanted) {
    const i = out.findIndex((c) => c.type === w.type);
    const previous = i >= 0 ? out[i] : undefined;
    const next: Condition = {
      ...w,
      lastTransitionTime: previous && previous.status === w.status ? previous.lastTransitionTime : now.toISOString(),
      observedGeneration: generation,
    };
    if (i >= 0) out[i] = next;
    else out.push(next);
  }
  return out;
}
