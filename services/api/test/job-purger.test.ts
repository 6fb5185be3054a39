import type { PurgeView } from '@userforge/contracts';
import { createLogger } from '@userforge/platform';
import { JobPurger } from '../src/workers/job-purger';
import { JOB, world } from '@userforge/testkit/purge-world';

/** The worker that runs purges in the background, on in-memory repositories (no servers). */
describe('job-purger worker', () => {
  const logger = createLogger('job-purger-test', 'silent');

  it('runs a purge in the background and reports each step; a DELETE while it runs joins it', async () => {
    const w = world();
    const seen: PurgeView[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let held = false;
    const purger = new JobPurger(w.deps, async (_id, p) => {
      seen.push(p);
      if (p.deleted > 0 && !held) {
        held = true;
        await gate; // the background purge waits here after its first window
      }
    }, logger);
    expect((await purger.purge(JOB)).progress).toEqual({ state: 'purging', deleted: 0, remaining: 250 });
    await waitFor(() => held);
    const joined = await purger.purge(JOB); // the first one is still held: no second purge starts
    expect(joined.progress.state).toBe('purging');
    release();
    await waitFor(() => seen.some((p) => p.state === 'purged'));
    await purger.stop();
    expect(seen.filter((p) => p.state === 'purged')).toHaveLength(1);
    expect(w.counted()).toBe(250);
    expect(w.users.size).toBe(4);
  });

  it('stops between windows on stop(), leaving the purge to a repeat', async () => {
    const w = world();
    let purger!: JobPurger;
    let stopping: Promise<void> | undefined;
    purger = new JobPurger(w.deps, (_id, p) => {
      if (p.deleted > 0) stopping ??= purger.stop();
    }, logger);
    await purger.purge(JOB);
    await waitFor(() => stopping !== undefined);
    await stopping;
    expect(w.purges.at(-1)).toMatchObject({ state: 'purging', deleted: 100 });
    expect(w.users.size).toBe(150 + 4);
    // Stopped for good: a DELETE arriving during shutdown records the purge but runs nothing.
    expect((await purger.purge(JOB)).progress.state).toBe('purging');
    expect(w.users.size).toBe(150 + 4);
  });
});

/** Polls a condition of the in-memory world, bounded. */
async function waitFor(condition: () => boolean, tries = 1000): Promise<void> {
  for (let i = 0; i < tries && !condition(); i++) await new Promise((r) => setImmediate(r));
  if (!condition()) throw new Error('condition never held');
}
