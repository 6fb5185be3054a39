import { testEnv, testKube, testMongoUrl, waitUntil } from '@userforge/testkit';
import { microTime } from '../src/k8s/client';
import { leaseTimings } from '../src/k8s/lease';
import { apply, createNamespace, installCrd, kubectl, mustOk, startOperator, type OperatorProcess } from '@userforge/devstack';
import { apiServerOf, kubeconfigVia, StallProxy } from './stall-proxy';

jest.setTimeout(240_000);

/**
 * Leader election by client-go's rules against the real API server: a lease is judged by when this
 * replica saw it change (its own clock), never by the holder's timestamps; a leader cut off from
 * the API server stops leading within its renew deadline, before a standby may take over.
 */
const ns = `lease-${process.pid}`;
const DURATION = 6;
const timings = leaseTimings(DURATION); // 6 s lease, 4 s renew deadline, 0.8 s retry, 1.6 s per request
const MONGO_URL = testMongoUrl('operator_lease');
let kube: ReturnType<typeof testKube>;
const operators: OperatorProcess[] = [];
let proxy: StallProxy | undefined;

const env = (extra: Record<string, string>) => {
  const { REDIS_URL, KAFKA_BROKERS } = testEnv();
  return { MONGO_URL, REDIS_URL, KAFKA_BROKERS, KUBECONFIG: kube.kubeconfig, WATCH_NAMESPACE: ns, CONSUMER_NAMESPACE: ns, LEASE_NAMESPACE: ns, LEASE_DURATION_SECONDS: String(DURATION), ...extra };
};
const operator = async (name: string, extra: Record<string, string>) => {
  const op = await startOperator(env(extra), name);
  operators.push(op);
  return op;
};
const logLines = (op: OperatorProcess) =>
  op
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown> & { msg: string; time: string });

/** Samples `isLeader` every 50 ms; returns when it first became `want`. */
async function whenLeader(op: OperatorProcess, want: 0 | 1, timeoutMs: number): Promise<number> {
  await waitUntil(() => op.metric('userforge_operator_leader'), (v) => v === want, timeoutMs, 50);
  return Date.now();
}

beforeAll(async () => {
  kube = testKube();
  await installCrd(kube);
  createNamespace(kube, ns);
});

afterAll(async () => {
  await Promise.all(operators.map((op) => op.kill('SIGKILL')));
  await proxy?.close();
});

it('takes a lease whose dead holder wrote a renewTime 10 minutes ahead after one lease duration of observation, and not before', async () => {
  const future = microTime(new Date(Date.now() + 10 * 60_000));
  mustOk(
    apply(kube, {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'skewed', namespace: ns },
      spec: { holderIdentity: 'dead-holder-with-a-fast-clock', leaseDurationSeconds: DURATION, acquireTime: future, renewTime: future, leaseTransitions: 3 },
    }),
  );
  const op = await operator('skew-candidate', { LEASE_NAME: 'skewed' });
  const startedAt = Date.now();
  // Still a follower just short of one lease duration after it could first have read the lease.
  await new Promise((r) => setTimeout(r, timings.leaseDurationMs - 1_000));
  expect(await op.metric('userforge_operator_leader')).toBe(0);
  const ledAt = await whenLeader(op, 1, 30_000);
  expect(ledAt - startedAt).toBeGreaterThanOrEqual(timings.leaseDurationMs);

  const takeover = logLines(op).find((l) => l.msg === 'taking over an expired lease')!;
  expect(takeover.previousHolder).toBe('dead-holder-with-a-fast-clock');
  // Unchanged for one lease duration by its own clock (plus at most one retry period and a request), not 10 minutes.
  expect(takeover.unchangedForMs).toBeGreaterThanOrEqual(timings.leaseDurationMs);
  expect(takeover.unchangedForMs).toBeLessThan(timings.leaseDurationMs + timings.retryPeriodMs + 1_000);
  const lease = JSON.parse(mustOk(kubectl(kube, ['get', 'lease', 'skewed', '-n', ns, '-o', 'json']))) as { spec: { holderIdentity: string; leaseTransitions: number } };
  expect(lease.spec).toMatchObject({ holderIdentity: 'skew-candidate', leaseTransitions: 4 });
  console.log(`skewed lease taken ${ledAt - startedAt} ms after the candidate started; unchanged for ${String(takeover.unchangedForMs)} ms by its clock`);
});

it('stops a leader behind a stalled proxy within its renew deadline, and only then does the standby take over', async () => {
  proxy = await StallProxy.open(apiServerOf(kube.kubeconfig));
  const leader = await operator('isolated-leader', { LEASE_NAME: 'stall', KUBECONFIG: kubeconfigVia(kube.kubeconfig, proxy.port) });
  await whenLeader(leader, 1, 30_000);
  const standby = await operator('standby', { LEASE_NAME: 'stall' });
  await new Promise((r) => setTimeout(r, 3 * timings.retryPeriodMs));
  expect(await standby.metric('userforge_operator_leader')).toBe(0);

  proxy.stall();
  const stalledAt = Date.now();
  // Both sampled side by side, so the order of "stopped" and "took over" is seen, not inferred.
  const [stoppedAt, tookOverAt] = await Promise.all([whenLeader(leader, 0, 30_000), whenLeader(standby, 1, 60_000)]);
  console.log(`leader stopped ${stoppedAt - stalledAt} ms after the stall (renew deadline ${timings.renewDeadlineMs} ms); standby led ${tookOverAt - stalledAt} ms after it`);
  expect(stoppedAt - stalledAt).toBeLessThanOrEqual(timings.renewDeadlineMs + 500);
  expect(tookOverAt).toBeGreaterThan(stoppedAt);
  // The standby waited a whole lease duration from the last renewal it saw.
  expect(tookOverAt - stalledAt).toBeGreaterThanOrEqual(timings.leaseDurationMs - timings.retryPeriodMs);
  expect(logLines(leader).some((l) => l.msg === 'stopped leading' && /renew deadline/.test(String(l.why)))).toBe(true);
  expect(leader.proc.exitCode).toBeNull();
});
