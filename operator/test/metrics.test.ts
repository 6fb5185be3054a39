import { WorkQueue } from '../src/k8s/work-queue';
import { oldestTerminatingSeconds } from '../src/metrics';
import { aResource } from './fixtures';

describe('the figures behind the operator’s gauges and counters (pure)', () => {
  it('oldest Terminating: the longest wait for a finalizer, 0 when nothing is being deleted', () => {
    const now = Date.parse('2026-12-06T10:00:00Z');
    const deleting = (at: string) => aResource({ meta: { deletionTimestamp: at } });
    expect(oldestTerminatingSeconds([aResource()], now)).toBe(0);
    expect(oldestTerminatingSeconds([aResource(), deleting('2026-12-06T09:55:00Z'), deleting('2026-12-06T09:49:00Z')], now)).toBe(660);
  });

  it('work queue: adds counted once per queued key, retries counted, the longest running reconcile measured', async () => {
    const counts = { adds: 0, retries: 0 };
    const queue = new WorkQueue(1, 10, { onAdd: () => counts.adds++, onRetry: () => counts.retries++ });
    queue.add('a');
    queue.add('a'); // merged into the waiting one
    queue.add('b');
    expect(counts.adds).toBe(2);
    expect(queue.longestRunningMs()).toBe(0);
    const key = (await queue.get())!;
    const taken = Date.now();
    await new Promise((r) => setTimeout(r, 30));
    expect(queue.longestRunningMs()).toBeGreaterThanOrEqual(Date.now() - taken - 1);
    queue.addRateLimited(key);
    expect(counts.retries).toBe(1);
    queue.done(key);
    expect(queue.longestRunningMs()).toBe(0);
    queue.shutdown();
  });
});
