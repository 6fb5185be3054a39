import { randomUUID } from 'node:crypto';
import { loadConsumerConfig } from '../../services/consumer/src/config';
import { start as startConsumer, type RunningConsumer } from '../../services/consumer/src/main';
import { testEnv, testKube, testMongoUrl } from '../../test/env';
import { waitUntil } from '../../test/http';
import { jobIdFor } from '../src/api/v1alpha1/user-generation-job.types';
import {
  aUgj,
  apply,
  consumerDeployment,
  createNamespace,
  getUgj,
  installCrd,
  jobsInDb,
  kubectl,
  mustOk,
  replicasOf,
  startOperator,
  usersOfJob,
  type OperatorProcess,
} from './harness';

jest.setTimeout(300_000);

/**
 * The operator against a real API server (kube-apiserver + kube-controller-manager from the test
 * stack), real Kafka, FerretDB and Redis, with a real consumer: no mocks.
 */
const ns = `op-${process.pid}`;
const MONGO_URL = testMongoUrl('operator');
let kube: ReturnType<typeof testKube>;
let consumer: RunningConsumer;
const operators: OperatorProcess[] = [];

function operatorEnv(extra: Record<string, string> = {}) {
  const { REDIS_URL, KAFKA_BROKERS } = testEnv();
  return {
    MONGO_URL,
    REDIS_URL,
    KAFKA_BROKERS,
    KUBECONFIG: kube.kubeconfig,
    WATCH_NAMESPACE: ns,
    CONSUMER_NAMESPACE: ns,
    LEASE_NAMESPACE: ns,
    LEASE_DURATION_SECONDS: '4',
    MIN_CONSUMERS: '1',
    ...extra,
  };
}

async function operator(name: string, extra: Record<string, string> = {}) {
  const op = await startOperator(operatorEnv(extra), name);
  operators.push(op);
  return op;
}

const stateOf = (name: string) => getUgj(kube, ns, name)?.status?.state;
const waitForState = (name: string, state: string, timeoutMs = 180_000) => waitUntil(async () => stateOf(name), (s) => s === state, timeoutMs, 250);

beforeAll(async () => {
  kube = testKube();
  await installCrd(kube);
  createNamespace(kube, ns);
  mustOk(apply(kube, consumerDeployment(ns)));
  const { REDIS_URL, KAFKA_BROKERS } = testEnv();
  consumer = await startConsumer(
    loadConsumerConfig({ MONGO_URL, REDIS_URL, KAFKA_BROKERS, METRICS_PORT: '0', KAFKA_GROUP_ID: `op-${randomUUID()}`, KAFKA_EVENTS_GROUP_ID: `op-ev-${randomUUID()}`, KAFKA_SESSION_TIMEOUT_MS: '8000', LOG_LEVEL: 'warn' }),
  );
});

afterAll(async () => {
  for (const op of operators) await op.kill('SIGKILL');
  await consumer?.stop();
  kubectl(kube, ['delete', 'namespace', ns, '--wait=false']);
});

afterEach(async () => {
  for (const op of operators.splice(0)) await op.kill('SIGTERM');
});

describe('UserGenerationJob operator (real API server)', () => {
  it('generates exactly N users: Accepted → Running → Succeeded, scaling the consumers to parallelism and back', async () => {
    const op = await operator('solo');
    await waitUntil(() => op.metric('userforge_operator_leader'), (v) => v === 1, 30_000);
    mustOk(apply(kube, aUgj(ns, 'fifty', { count: 50_000, seed: 7, parallelism: 3 })));
    const seen: string[] = [];
    let peakReplicas = 0;
    const done = await waitUntil(
      async () => {
        const ugj = getUgj(kube, ns, 'fifty');
        for (const c of ugj?.status?.conditions ?? []) if (c.status === 'True' && !seen.includes(c.type)) seen.push(c.type);
        peakReplicas = Math.max(peakReplicas, replicasOf(kube, ns));
        return ugj;
      },
      (ugj) => ugj?.status?.state === 'Succeeded',
      240_000,
      200,
    );
    expect(seen).toEqual(['Accepted', 'Running', 'Succeeded']);
    expect(done!.status).toMatchObject({ usersStored: 50_000, chunksDone: 5, chunksTotal: 5, progress: '100%', jobId: jobIdFor(done!.metadata.uid) });
    expect(done!.status?.conditions?.find((c) => c.type === 'Running')?.status).toBe('False');
    // Finished: no ETA left behind by the running status (a merge patch keeps what it omits).
    expect(done!.status).not.toHaveProperty('etaSeconds');
    expect(await usersOfJob(MONGO_URL, done!.status!.jobId!)).toEqual({ users: 50_000, emails: 50_000, ids: 50_000 });
    expect(peakReplicas).toBe(3);
    await waitUntil(async () => replicasOf(kube, ns), (n) => n === 1, 30_000);
    const table = mustOk(kubectl(kube, ['get', 'ugj', '-n', ns]));
    expect(table).toMatch(/NAME\s+STATE\s+COUNT\s+STORED\s+PROGRESS\s+USERS\/S\s+AGE/);
    expect(table).toMatch(/fifty\s+Succeeded\s+50000\s+50000\s+100%/);
    const events = mustOk(kubectl(kube, ['get', 'events', '-n', ns, '--field-selector', 'involvedObject.name=fifty', '-o', 'jsonpath={.items[*].reason}']));
    expect(events.split(' ')).toEqual(expect.arrayContaining(['JobCreated', 'Scaled', 'JobSucceeded']));
  });

  it('creates the job exactly once when killed right after creating it, before status was written', async () => {
    const first = await operator('crashing', { FAULT_CRASH_AFTER_JOB_CREATED: 'true' });
    mustOk(apply(kube, aUgj(ns, 'crash', { count: 20_000, seed: 9 })));
    await waitUntil(async () => first.proc.exitCode ?? first.proc.signalCode, (c) => c !== null, 60_000);
    expect(first.proc.signalCode).toBe('SIGKILL');
    const uid = getUgj(kube, ns, 'crash')!.metadata.uid;
    expect(getUgj(kube, ns, 'crash')!.status?.jobId).toBeUndefined(); // it died before writing status
    await operator('restarted');
    const done = await waitForState('crash', 'Succeeded');
    expect(done).toBe('Succeeded');
    const jobs = (await jobsInDb(MONGO_URL)).filter((j) => j._id === jobIdFor(uid));
    expect(jobs).toHaveLength(1);
    expect(await usersOfJob(MONGO_URL, jobIdFor(uid))).toEqual({ users: 20_000, emails: 20_000, ids: 20_000 });
  });

  it('runs two replicas with one leader; when the leader dies the other finishes the job', async () => {
    const a = await operator('replica-a');
    const b = await operator('replica-b');
    const leaders = async () => [await a.metric('userforge_operator_leader'), await b.metric('userforge_operator_leader')];
    const roles = await waitUntil(leaders, (l) => l[0]! + l[1]! === 1, 30_000);
    const [leader, follower] = roles[0] === 1 ? [a, b] : [b, a];
    mustOk(apply(kube, aUgj(ns, 'failover', { count: 40_000, seed: 11, chunkSize: 2_000 })));
    await waitForState('failover', 'Running', 60_000);
    await leader.kill('SIGKILL');
    await waitUntil(() => follower.metric('userforge_operator_leader'), (v) => v === 1, 15_000, 250);
    await waitForState('failover', 'Succeeded');
    const uid = getUgj(kube, ns, 'failover')!.metadata.uid;
    expect((await jobsInDb(MONGO_URL)).filter((j) => j._id === jobIdFor(uid))).toHaveLength(1);
    expect(await usersOfJob(MONGO_URL, jobIdFor(uid))).toEqual({ users: 40_000, emails: 40_000, ids: 40_000 });
  });

  it('cancels the job on suspend: true, and when a running resource is deleted', async () => {
    await operator('canceller');
    mustOk(apply(kube, aUgj(ns, 'suspended', { count: 2_000_000, chunkSize: 10_000 })));
    mustOk(apply(kube, aUgj(ns, 'deleted', { count: 2_000_000, chunkSize: 10_000 })));
    await waitForState('suspended', 'Running', 60_000);
    await waitForState('deleted', 'Running', 60_000);
    const deletedJob = jobIdFor(getUgj(kube, ns, 'deleted')!.metadata.uid);
    mustOk(kubectl(kube, ['patch', 'ugj', 'suspended', '-n', ns, '--type=merge', '-p', '{"spec":{"suspend":true}}']));
    expect(await waitForState('suspended', 'Cancelled', 60_000)).toBe('Cancelled');
    mustOk(kubectl(kube, ['delete', 'ugj', 'deleted', '-n', ns, '--timeout=60s']));
    expect(getUgj(kube, ns, 'deleted')).toBeNull();
    expect((await jobsInDb(MONGO_URL)).find((j) => j._id === deletedJob)?.state).toBe('cancelled');
  });
});

describe('the CRD refuses invalid resources at apply time', () => {
  it.each([
    ['count 0', { count: 0 }, /count/],
    ['a negative count', { count: -5 }, /count/],
    ['a string count', { count: 'many' }, /count/],
    ['a count above the maximum', { count: 1_000_000_001 }, /count/],
    ['an unknown field', { count: 10, colour: 'blue' }, /colour|unknown field/],
    ['a locale that does not exist', { count: 10, locale: 'tlh' }, /locale/],
  ])('refuses %s', async (_what, spec, message) => {
    const r = apply(kube, aUgj(ns, `bad-${randomUUID().slice(0, 8)}`, spec));
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(message);
  });

  it('refuses a changed count (or seed) once created', async () => {
    mustOk(apply(kube, aUgj(ns, 'fixed', { count: 10, seed: 1, suspend: true })));
    const r = apply(kube, aUgj(ns, 'fixed', { count: 11, seed: 1, suspend: true }));
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/count is immutable/);
    expect(apply(kube, aUgj(ns, 'fixed', { count: 10, seed: 2, suspend: true })).err).toMatch(/seed is immutable/);
    expect(apply(kube, aUgj(ns, 'fixed', { count: 10, seed: 1, suspend: true, parallelism: 2 })).code).toBe(0);
  });
});
