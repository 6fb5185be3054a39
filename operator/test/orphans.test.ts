import type { JobDocument } from '@userforge/jobs';
import { operatorScope, orphanedJobs } from '../src/controller/orphans';

const job = (id: string, origin?: JobDocument['origin']) => ({ _id: id, state: 'running', origin }) as JobDocument;
const from = (scope: string, uid: string) => ({ kind: 'UserGenerationJob' as const, namespace: 'team-a', name: `r-${uid}`, uid, scope });

describe('orphanedJobs (pure)', () => {
  const everywhere = operatorScope();
  const blue = operatorScope(undefined, 'userforge.io/instance=blue');
  const teamA = operatorScope('team-a');
  const active = [job('a', from(everywhere, 'u1')), job('b', from(everywhere, 'u2')), job('c', from(blue, 'u3')), job('d', from(teamA, 'u4')), job('e')];
  const live = (uid: string) => uid === 'u1';

  it('takes the jobs this operator made whose resource is gone, never one asked for over HTTP (no origin)', () => {
    expect(orphanedJobs(active, live, everywhere).map((j) => j._id)).toEqual(['b']);
  });

  it('leaves the jobs of another operator (another namespace or label selector) to it', () => {
    expect(orphanedJobs(active, live, blue).map((j) => j._id)).toEqual(['c']);
    expect(orphanedJobs(active, live, teamA).map((j) => j._id)).toEqual(['d']);
    expect(new Set([everywhere, blue, teamA]).size).toBe(3);
  });
});
