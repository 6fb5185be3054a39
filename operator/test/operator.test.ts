import { randomUUID } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { loadConsumerConfig } from '../../services/consumer/src/config';
import { start as startConsumer, type RunningConsumer } from '../../services/consumer/src/main';
import { testEnv, testKube, testMongoUrl, waitUntil, TcpGate, hostPort } from '@userforge/testkit';
import { jobIdFor } from '../src/api/v1alpha1/user-generation-job.types';
import { KubeClient } from '../src/k8s/client';
import { loadKubeConfig } from '../src/k8s/rest';
import {
  aUgj,
  apply,
  freePort,
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
} from '@userforge/devstack';

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
const conditionOf = (name: string, type: string) => getUgj(kube, ns, name)?.status?.conditions?.find((c) => c.type === type);
const eventsOf = (name: string) => mustOk(kubectl(kube, ['get', 'events', '-n', ns, '--field-selector', `involvedObject.name=${name}`, '-o', 'jsonpath={.items[*].reason}'])).split(' ');

/** The platform job's publishing, as its publisher records it. */
async function publishingOf(jobId: string): Promise<{ chunksPublished: number; chunksTotal: number; lease: unknown } | null> {
  const client = await MongoClient.connect(MONGO_URL);
  try {
    return await client.db().collection<{ _id: string; chunksPublished: number; chunksTotal: number; lease: unknown }>('jobs').findOne({ _id: jobId }, { projection: { chunksPublished: 1, chunksTotal: 1, lease: 1 } });
  } finally {
    await client.close();
  }
}
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
    // The work queue and the API requests, as Prometheus sees them.
    const metrics = await (await fetch(`http://127.0.0.1:${op.metricsPort}/metrics`)).text();
    expect(metrics).toMatch(/^userforge_operator_kube_request_duration_seconds_count\{[^}]*verb="PATCH"[^}]*code="200"[^}]*\} [1-9]/m);
    expect(await op.metric('userforge_operator_workqueue_adds_total')).toBeGreaterThan(0);
    expect(await op.metric('userforge_operator_workqueue_longest_running_seconds')).toBeGreaterThanOrEqual(0);
    expect(await op.metric('userforge_operator_oldest_terminating_seconds')).toBe(0);
    const table = mustOk(kubectl(kube, ['get', 'ugj', '-n', ns]));
    expect(table).toMatch(/NAME\s+STATE\s+COUNT\s+STORED\s+PROGRESS\s+USERS\/S\s+RECLAIM\s+AGE/);
    expect(table).toMatch(/fifty\s+Succeeded\s+50000\s+50000\s+100%\s+\d+\s+Retain\s/);
    const events = mustOk(kubectl(kube, ['get', 'events', '-n', ns, '--field-selector', 'involvedObject.name=fifty', '-o', 'jsonpath={.items[*].reason}']));
    expect(events.split(' ')).toEqual(expect.arrayContaining(['JobCreated', 'JobSucceeded']));
    // Scaling is told once per change, on the Deployment (kubectl describe deployment shows it).
    const scaled = mustOk(kubectl(kube, ['get', 'events', '-n', ns, '--field-selector', 'involvedObject.kind=Deployment,reason=Scaled', '-o', 'jsonpath={range .items[*]}{.message}{"\\n"}{end}']));
    expect(scaled.split('\n').filter((m) => /^scaled from (1 to 3|3 to 1)/.test(m)).sort()).toEqual([expect.stringMatching(/^scaled from 1 to 3/), expect.stringMatching(/^scaled from 3 to 1/)]);
  });

  it('watches the consumer Deployment: a `kubectl scale` to a wrong number is put back (to parallelism at work, to the minimum idle), a recreated one too; one Scaled Event per change', async () => {
    // A namespace of its own: its Events are this test's alone.
    const own = `${ns}-scale`;
    createNamespace(kube, own);
    try {
      mustOk(apply(kube, consumerDeployment(own)));
      const op = await operator('scale-watcher', { WATCH_NAMESPACE: own, CONSUMER_NAMESPACE: own, LEASE_NAMESPACE: own });
      await waitUntil(() => op.metric('userforge_operator_leader'), (v) => v === 1, 30_000);
      const replicas = () => replicasOf(kube, own);
      const scaled = () =>
        (JSON.parse(mustOk(kubectl(kube, ['get', 'events', '-n', own, '--field-selector', 'involvedObject.kind=Deployment,reason=Scaled', '-o', 'json']))) as { items: { message: string; count?: number }[] }).items.map(
          (e) => `${e.message.split(':')[0]} ×${e.count ?? 1}`,
        );
      const told = (change: string) => waitUntil(async () => scaled(), (events) => events.some((e) => e.startsWith(change)), 60_000, 250);
      const scaleByHand = (n: number) => mustOk(kubectl(kube, ['scale', 'deployment/userforge-consumer', `--replicas=${n}`, '-n', own]));

      // A job at work (large enough to still be at it when suspended below): scaled to its parallelism.
      mustOk(apply(kube, aUgj(own, 'long', { count: 2_000_000, chunkSize: 10_000, parallelism: 3 })));
      await told('scaled from 1 to 3');
      expect(await waitUntil(async () => replicas(), (n) => n === 3, 60_000, 250)).toBe(3);
      // Someone scales it by hand to a wrong number while the job is at work: put back to 3.
      scaleByHand(5);
      await told('scaled from 5 to 3');
      expect(await waitUntil(async () => replicas(), (n) => n === 3, 60_000, 250)).toBe(3);

      // No job at work: back to the minimum, and a wrong number put back to it.
      mustOk(kubectl(kube, ['patch', 'ugj', 'long', '-n', own, '--type=merge', '-p', '{"spec":{"suspend":true}}']));
      await told('scaled from 3 to 1');
      // Suspended: paused while publishing, or left running once every chunk was published; either way not counted as at work.
      expect(['Suspended', 'Running']).toContain(await waitUntil(async () => getUgj(kube, own, 'long')?.status?.state, (s) => s === 'Suspended' || s === 'Running', 60_000, 250));
      scaleByHand(4);
      await told('scaled from 4 to 1');
      expect(await waitUntil(async () => replicas(), (n) => n === 1, 60_000, 250)).toBe(1);

      // The Deployment deleted (said once, not an error) and created again with a wrong number: put back.
      mustOk(kubectl(kube, ['delete', 'deployment', 'userforge-consumer', '-n', own]));
      await waitUntil(async () => op.output(), (out) => out.includes('no consumer Deployment to scale'), 60_000, 250);
      mustOk(apply(kube, consumerDeployment(own, 2)));
      await told('scaled from 2 to 1');
      expect(await waitUntil(async () => replicas(), (n) => n === 1, 60_000, 250)).toBe(1);

      // Exactly one Event per change: none twice, none counted up.
      expect(scaled().sort()).toEqual(['scaled from 1 to 3 ×1', 'scaled from 2 to 1 ×1', 'scaled from 3 to 1 ×1', 'scaled from 4 to 1 ×1', 'scaled from 5 to 3 ×1']);
      expect(op.output().split('no consumer Deployment to scale')).toHaveLength(2);
      expect(op.output()).not.toMatch(/scaling the consumers failed/);
      // Both watches counted apart: the Deployment's is listed and watched like the resources'.
      const metrics = await (await fetch(`http://127.0.0.1:${op.metricsPort}/metrics`)).text();
      for (const resource of ['deployments', 'usergenerationjobs']) {
        expect(metrics).toMatch(new RegExp(`^userforge_operator_kube_requests_total\\{(?=[^}]*kind="watch")(?=[^}]*resource="${resource}")[^}]*\\} [1-9]`, 'm'));
      }
      // The precondition the scaler patches with: a scale from a version that is not the Deployment's is refused (409), nothing written.
      const stale = new KubeClient(loadKubeConfig(kube.kubeconfig), own).scaleTo(own, 'userforge-consumer', 7, '1');
      await expect(stale).rejects.toMatchObject({ code: 409 });
      expect(replicas()).toBe(1);
      mustOk(kubectl(kube, ['delete', 'ugj', 'long', '-n', own, '--timeout=60s']));
    } finally {
      kubectl(kube, ['delete', 'namespace', own, '--wait=false']);
    }
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

  it('suspend: true pauses publishing and releases the consumers, suspend: false resumes it to exactly N users with nothing stale; deleting a running resource cancels its job', async () => {
    // One chunk per Kafka batch: publishing this job's 1,000 chunks lasts long enough to suspend it halfway.
    await operator('suspender', { PUBLISH_BATCH_SIZE: '1' });
    mustOk(apply(kube, aUgj(ns, 'deleted', { count: 2_000_000, chunkSize: 10_000 })));
    await waitForState('deleted', 'Running', 60_000);
    const deletedJob = jobIdFor(getUgj(kube, ns, 'deleted')!.metadata.uid);
    mustOk(kubectl(kube, ['delete', 'ugj', 'deleted', '-n', ns, '--timeout=60s']));
    expect(getUgj(kube, ns, 'deleted')).toBeNull();
    expect((await jobsInDb(MONGO_URL)).find((j) => j._id === deletedJob)?.state).toBe('cancelled');

    mustOk(apply(kube, aUgj(ns, 'suspended', { count: 100_000, chunkSize: 100, parallelism: 2 })));
    await waitForState('suspended', 'Publishing', 60_000);
    const jobId = jobIdFor(getUgj(kube, ns, 'suspended')!.metadata.uid);
    await waitUntil(async () => replicasOf(kube, ns), (n) => n === 2, 30_000);
    mustOk(kubectl(kube, ['patch', 'ugj', 'suspended', '-n', ns, '--type=merge', '-p', '{"spec":{"suspend":true}}']));
    expect(await waitForState('suspended', 'Suspended', 60_000)).toBe('Suspended');
    expect(conditionOf('suspended', 'Suspended')).toMatchObject({ status: 'True', reason: 'Suspended' });
    expect(conditionOf('suspended', 'Running')).toMatchObject({ status: 'False', reason: 'Suspended' });
    // The publisher stops at its next batch and gives up its lease; from then on nothing more is published.
    const stopped = (await waitUntil(() => publishingOf(jobId), (j) => j?.lease === null, 30_000))!;
    expect(stopped.chunksPublished).toBeGreaterThan(0);
    expect(stopped.chunksPublished).toBeLessThan(stopped.chunksTotal);
    await waitUntil(async () => replicasOf(kube, ns), (n) => n === 1, 30_000); // consumers released
    await new Promise((r) => setTimeout(r, 3_000)); // a publisher still at work would publish on meanwhile
    expect((await publishingOf(jobId))?.chunksPublished).toBe(stopped.chunksPublished);
    expect(stateOf('suspended')).toBe('Suspended');
    expect((await jobsInDb(MONGO_URL)).find((j) => j._id === jobId)?.state).not.toBe('cancelled');
    expect(await waitUntil(async () => eventsOf('suspended'), (e) => e.includes('JobSuspended'), 30_000)).toContain('JobSuspended');

    mustOk(kubectl(kube, ['patch', 'ugj', 'suspended', '-n', ns, '--type=merge', '-p', '{"spec":{"suspend":false}}']));
    expect(await waitForState('suspended', 'Succeeded', 240_000)).toBe('Succeeded');
    const status = getUgj(kube, ns, 'suspended')!.status!;
    expect(status).toMatchObject({ usersStored: 100_000, chunksDone: 1_000, chunksTotal: 1_000, progress: '100%', jobId });
    expect(status.conditions?.filter((c) => c.status === 'True').map((c) => c.type).sort()).toEqual(['Accepted', 'Succeeded']);
    expect(conditionOf('suspended', 'Suspended')).toMatchObject({ status: 'False', reason: 'Resumed' });
    expect(conditionOf('suspended', 'Cancelled')).toBeUndefined();
    expect(await usersOfJob(MONGO_URL, jobId)).toEqual({ users: 100_000, emails: 100_000, ids: 100_000 });
    expect(eventsOf('suspended')).toEqual(expect.arrayContaining(['JobCreated', 'JobSuspended', 'JobResumed', 'JobSucceeded']));
  }, 480_000);

  it("refuses a resource above its MAX_JOB_COUNT (Failed, Accepted=False, a Warning Event, no platform job) and runs one at the limit", async () => {
    await operator('limited', { MAX_JOB_COUNT: '5000' });
    mustOk(apply(kube, aUgj(ns, 'too-big', { count: 5_001 })));
    mustOk(apply(kube, aUgj(ns, 'at-limit', { count: 5_000, chunkSize: 1_000 })));
    expect(await waitForState('too-big', 'Failed', 60_000)).toBe('Failed');
    const accepted = getUgj(kube, ns, 'too-big')!.status?.conditions?.find((c) => c.type === 'Accepted');
    expect(accepted).toMatchObject({ status: 'False', reason: 'CountAboveLimit', message: "count 5001 is above this operator's MAX_JOB_COUNT (5000)" });
    const reasons = await waitUntil(
      async () => mustOk(kubectl(kube, ['get', 'events', '-n', ns, '--field-selector', 'involvedObject.name=too-big', '-o', 'jsonpath={.items[*].reason}'])),
      (r) => r.includes('JobFailed'),
      30_000,
    );
    expect(reasons).toContain('JobFailed');
    expect(await waitForState('at-limit', 'Succeeded')).toBe('Succeeded');
    const bigId = jobIdFor(getUgj(kube, ns, 'too-big')!.metadata.uid);
    expect((await jobsInDb(MONGO_URL)).filter((j) => j._id === bigId)).toEqual([]);
    mustOk(kubectl(kube, ['delete', 'ugj', 'too-big', '-n', ns, '--timeout=30s']));
  });

  it('a resource suspended before its job exists is Suspended (not Cancelled), and runs once unsuspended with nothing stale', async () => {
    await operator('resumer');
    mustOk(apply(kube, aUgj(ns, 'resumed', { count: 3_000, chunkSize: 1_000, suspend: true })));
    expect(await waitForState('resumed', 'Suspended', 60_000)).toBe('Suspended');
    expect(getUgj(kube, ns, 'resumed')!.status?.conditions?.map((c) => [c.type, c.status, c.reason])).toEqual([['Suspended', 'True', 'Suspended']]);
    mustOk(kubectl(kube, ['patch', 'ugj', 'resumed', '-n', ns, '--type=merge', '-p', '{"spec":{"suspend":false}}']));
    expect(await waitForState('resumed', 'Succeeded')).toBe('Succeeded');
    const status = getUgj(kube, ns, 'resumed')!.status!;
    expect(status.conditions?.filter((c) => c.status === 'True').map((c) => c.type).sort()).toEqual(['Accepted', 'Succeeded']);
    expect(conditionOf('resumed', 'Suspended')).toMatchObject({ status: 'False', reason: 'Resumed' });
    expect(conditionOf('resumed', 'Cancelled')).toBeUndefined();
    expect(await usersOfJob(MONGO_URL, status.jobId!)).toEqual({ users: 3_000, emails: 3_000, ids: 3_000 });
  });

  it('deletes a running resource within 60 s while MongoDB cannot be reached (a Warning Event says so), its job left for the sweep', async () => {
    const port = await freePort();
    const target = hostPort(MONGO_URL);
    const gated = new URL(MONGO_URL);
    gated.host = `127.0.0.1:${port}`;
    const gate = await TcpGate.open(port, target, 'forward');
    try {
      await operator('outage', { MONGO_URL: gated.toString(), RESYNC_SECONDS: '2' });
      mustOk(apply(kube, aUgj(ns, 'outage', { count: 5_000_000, chunkSize: 10_000 })));
      await waitForState('outage', 'Running', 60_000);
      const jobId = jobIdFor(getUgj(kube, ns, 'outage')!.metadata.uid);
      await gate.close(); // MongoDB's port now refuses, every open connection cut

      mustOk(kubectl(kube, ['delete', 'ugj', 'outage', '-n', ns, '--timeout=60s']));
      expect(getUgj(kube, ns, 'outage')).toBeNull();
      const warned = mustOk(kubectl(kube, ['get', 'events', '-n', ns, '--field-selector', 'involvedObject.name=outage,type=Warning', '-o', 'jsonpath={.items[*].reason}']));
      expect(warned.split(' ')).toContain('CancelDeferred');
      expect(['publishing', 'running']).toContain((await jobsInDb(MONGO_URL)).find((j) => j._id === jobId)?.state);
    } finally {
      await gate.close();
    }
  });

  it("leaves the consumers' replicas alone with SCALE_CONSUMERS=false (an external autoscaler owns them)", async () => {
    mustOk(kubectl(kube, ['scale', 'deployment/userforge-consumer', '--replicas=2', '-n', ns]));
    try {
      await operator('hands-off', { SCALE_CONSUMERS: 'false' });
      mustOk(apply(kube, aUgj(ns, 'autoscaled', { count: 20_000, chunkSize: 2_000, parallelism: 3 })));
      const seen = new Set<number>();
      await waitUntil(async () => (seen.add(replicasOf(kube, ns)), stateOf('autoscaled')), (s) => s === 'Succeeded', 180_000, 250);
      seen.add(replicasOf(kube, ns));
      expect([...seen]).toEqual([2]);
    } finally {
      mustOk(kubectl(kube, ['scale', 'deployment/userforge-consumer', '--replicas=1', '-n', ns]));
    }
  });

  it('with LABEL_SELECTOR it reconciles only the resources it selects; another instance\'s stay untouched', async () => {
    await operator('blue', { LABEL_SELECTOR: 'userforge.io/instance=blue' });
    const labelled = (name: string, instance: string) => {
      const ugj = aUgj(ns, name, { count: 3_000, chunkSize: 1_000 });
      return { ...ugj, metadata: { ...ugj.metadata, labels: { 'userforge.io/instance': instance } } };
    };
    mustOk(apply(kube, labelled('for-blue', 'blue')));
    mustOk(apply(kube, labelled('for-green', 'green')));
    expect(await waitForState('for-blue', 'Succeeded')).toBe('Succeeded');
    const green = getUgj(kube, ns, 'for-green')!;
    expect({ status: green.status, finalizers: green.metadata.finalizers }).toEqual({ status: undefined, finalizers: undefined });
    mustOk(kubectl(kube, ['delete', 'ugj', 'for-green', '-n', ns, '--timeout=30s']));
  });

  it('50 resources applied at once, the operator SIGKILLed 5 times at random moments: all Succeeded with exactly their counts, one platform job each', async () => {
    const names = Array.from({ length: 50 }, (_, i) => `many-${i}`);
    const countOf = (i: number) => 500 + 10 * i;
    let current = await operator('chaos-0');
    mustOk(apply(kube, names.map((name, i) => aUgj(ns, name, { count: countOf(i), chunkSize: 1_000, seed: i }))));
    for (let kill = 1; kill <= 5; kill++) {
      await new Promise((r) => setTimeout(r, 1_000 + Math.random() * 4_000));
      await current.kill('SIGKILL');
      current = await operator(`chaos-${kill}`);
    }
    const states = await waitUntil(
      async () => names.map((n) => stateOf(n)),
      (all) => all.every((st) => st === 'Succeeded'),
      600_000,
      1_000,
    );
    expect(states.filter((st) => st !== 'Succeeded')).toEqual([]);
    const jobs = await jobsInDb(MONGO_URL);
    for (const [i, name] of names.entries()) {
      const jobId = jobIdFor(getUgj(kube, ns, name)!.metadata.uid);
      expect([name, jobs.filter((j) => j._id === jobId).length]).toEqual([name, 1]);
      expect([name, await usersOfJob(MONGO_URL, jobId)]).toEqual([name, { users: countOf(i), emails: countOf(i), ids: countOf(i) }]);
    }
  });

  it('a Succeeded resource whose platform job is gone from the database says JobLost and never runs again', async () => {
    await operator('loser', { RESYNC_SECONDS: '2' });
    mustOk(apply(kube, aUgj(ns, 'lost', { count: 2_000, chunkSize: 1_000 })));
    expect(await waitForState('lost', 'Succeeded')).toBe('Succeeded');
    const jobId = getUgj(kube, ns, 'lost')!.status!.jobId!;
    const client = await MongoClient.connect(MONGO_URL);
    try {
      await client.db().collection('jobs').deleteOne({ _id: jobId as never }); // as if pointed at a fresh database
    } finally {
      await client.close();
    }
    expect(await waitForState('lost', 'Failed', 60_000)).toBe('Failed');
    const status = getUgj(kube, ns, 'lost')!.status!;
    expect(status.jobId).toBe(jobId);
    expect(status.conditions?.find((c) => c.type === 'Accepted')).toMatchObject({ status: 'False', reason: 'JobLost' });
    await new Promise((r) => setTimeout(r, 5_000)); // two more resyncs
    expect((await jobsInDb(MONGO_URL)).filter((j) => j._id === jobId)).toEqual([]);
    expect(stateOf('lost')).toBe('Failed');
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
    ['a reclaimPolicy that does not exist', { count: 10, reclaimPolicy: 'Recycle' }, /reclaimPolicy/],
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

  it('fills in the spec defaults, so kubectl get shows the effective chunkSize, locale, parallelism and reclaimPolicy', async () => {
    mustOk(apply(kube, aUgj(ns, 'defaults', { count: 10, suspend: true })));
    expect(getUgj(kube, ns, 'defaults')!.spec).toEqual({ count: 10, suspend: true, chunkSize: 10_000, locale: 'en', parallelism: 1, reclaimPolicy: 'Retain' });
  });

  it('takes a condition type it does not know (a newer operator), one condition per type', async () => {
    mustOk(apply(kube, aUgj(ns, 'conditions', { count: 10, suspend: true })));
    const condition = (type: string) => ({ type, status: 'True', reason: 'Testing', message: 'set by the test', lastTransitionTime: '2026-12-06T00:00:00Z' });
    const patch = (conditions: object[]) =>
      kubectl(kube, ['patch', 'ugj', 'conditions', '-n', ns, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { conditions } })]);
    mustOk(patch([condition('Accepted'), condition('example.com/Degraded')]));
    expect(getUgj(kube, ns, 'conditions')!.status?.conditions?.map((c) => c.type)).toEqual(['Accepted', 'example.com/Degraded']);
    const twice = patch([condition('Accepted'), condition('Accepted')]);
    expect(twice.code).not.toBe(0);
    expect(twice.err).toMatch(/[Dd]uplicate/);
    expect(patch([{ ...condition('Accepted'), reason: 'not a reason!' }]).err).toMatch(/reason/);
  });
});
