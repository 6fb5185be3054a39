import type { JobView } from '@userforge/contracts';
import type { UserGenerationJob } from '../src/api/v1alpha1/user-generation-job.types';

/** A UserGenerationJob as the API server would return it, with the given changes. */
export function aResource(o: { spec?: Partial<UserGenerationJob['spec']>; meta?: Partial<UserGenerationJob['metadata']>; status?: UserGenerationJob['status'] } = {}): UserGenerationJob {
  return {
    apiVersion: 'userforge.io/v1alpha1',
    kind: 'UserGenerationJob',
    metadata: { name: 'demo', namespace: 'default', uid: '6a4d1c0e-1111-4222-8333-944455556666', generation: 1, resourceVersion: '7', ...o.meta },
    spec: { count: 50_000, ...o.spec },
    ...(o.status ? { status: o.status } : {}),
  };
}

/** A platform job view with the given changes. */
export function aJob(o: Partial<JobView> = {}): JobView {
  return {
    id: 'aaaaaaaaaaaaaaaaaaaaaaaa',
    state: 'running',
    count: 50_000,
    seed: 1,
    chunkSize: 10_000,
    locale: 'en',
    chunksTotal: 5,
    chunksPublished: 5,
    chunksDone: 2,
    usersStored: 20_000,
    usersPerSec: 10_000,
    etaSeconds: 3,
    progress: 0.4,
    createdAt: '2026-11-21T10:00:00.000Z',
    startedAt: '2026-11-21T10:00:00.000Z',
    finishedAt: null,
    updatedAt: '2026-11-21T10:00:02.000Z',
    error: null,
    ...o,
  };
}
