import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { aUgj, apply, createNamespace, getUgj, installCrd, kubectl, mustOk, startOperator, usersOfJob, type OperatorProcess } from '@userforge/devstack';
import { loadConsumerConfig } from '../../services/consumer/src/config';
import { start as startConsumer, type RunningConsumer } from '../../services/consumer/src/main';
import { testEnv, testKube, testMongoUrl, waitUntil } from '@userforge/testkit';
import { FINALIZER, jobIdFor } from '../src/api/v1alpha1/user-generation-job.types';

jest.setTimeout(300_000);

/**
 * `spec.reclaimPolicy` against the local control plane (a real kube-apiserver), FerretDB, Kafka and
 * Redis, a real consumer and the operator as a process: deleting a Delete resource purges exactly its
 * job's users before the resource goes; a Retain one leaves them.
 */
const ns = `reclaim-${process.pid}`;
const MONGO_URL = testMongoUrl('reclaim');
let kube: ReturnType<typeof testKube>;
let consumer: RunningConsumer;
let operator: OperatorProcess;

const eventsOf = (name: string) =>
  mustOk(kubectl(kube, ['get', 'events', '-n', ns, '--field-selector', `involvedObject.name=${name}`, '-o', 'jsonpath={range .items[*]}{.reason}: {.message}{"\\n"}{end}']))
    .split('\n')
    .filter(Boolean);
const waitForState = (name: string, state: string) => waitUntil(async () => getUgj(kube, ns, name)?.status?.state, (s) => s === state, 180_000, 250);
const uidOf = (name: string) => getUgj(kube, ns, name)!.metadata.uid;

async function withDb<T>(use: (db: ReturnType<MongoClient['db']>) => Promise<T>): Promise<T> {
  const client = await MongoClient.connect(MONGO_URL);
  try {
    return await use(client.db());
  } finally {
    await client.close();
  }
}

/** Every status.purge a watch of the resource sees, as `state/deleted/remaining` (empty parts while it has none). */
function watchPurge(name: string): { seen: () => string[]; stop: () => void } {
  const proc: ChildProcess = spawn(kube.kubectl, ['--kubeconfig', kube.kubeconfig, 'get', 'ugj', name, '-n', ns, '-w', '-o', 'jsonpath={.status.purge.state}/{.status.purge.deleted}/{.status.purge.remaining}{"\\n"}']);
  let out = '';
  proc.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  return { seen: () => out.split('\n').filter(Boolean), stop: () => void proc.kill('SIGTERM') };
}

beforeAll(async () => {
  kube = testKube();
  await installCrd(kube);
  createNamespace(kube, ns);
  const { REDIS_URL, KAFKA_BROKERS } = testEnv();
  consumer = await startConsumer(
    loadConsumerConfig({ MONGO_URL, REDIS_URL, KAFKA_BROKERS, METRICS_PORT: '0', KAFKA_GROUP_ID: `rc-${randomUUID()}`, KAFKA_EVENTS_GROUP_ID: `rc-ev-${randomUUID()}`, KAFKA_SESSION_TIMEOUT_MS: '8000', LOG_LEVEL: 'warn' }),
  );
  operator = await startOperator(
    { MONGO_URL, REDIS_URL, KAFKA_BROKERS, KUBECONFIG: kube.kubeconfig, WATCH_NAMESPACE: ns, LEASE_NAMESPACE: ns, LEASE_DURATION_SECONDS: '4', SCALE_CONSUMERS: 'false' },
    'reclaimer',
  );
  await waitUntil(() => operator.metric('userforge_operator_leader'), (v) => v === 1, 30_000);
});

afterAll(async () => {
  await operator?.kill('SIGTERM');
  await consumer?.stop();
  kubectl(kube, ['delete', 'namespace', ns, '--wait=false']);
});

describe('spec.reclaimPolicy (real API server)', () => {
  it("Delete: `kubectl delete` purges exactly the job's users (status and Events say so), then the resource goes; Retain removes nothing", async () => {
    mustOk(apply(kube, [aUgj(ns, 'reclaimed', { count: 3_000, chunkSize: 1_000, seed: 1, reclaimPolicy: 'Delete' }), aUgj(ns, 'kept', { count: 3_000, chunkSize: 1_000, seed: 2 })]));
    await waitForState('reclaimed', 'Succeeded');
    await waitForState('kept', 'Succeeded');
    const [reclaimedJob, keptJob] = [jobIdFor(uidOf('reclaimed')), jobIdFor(uidOf('kept'))];
    const all = { users: 3_000, emails: 3_000, ids: 3_000 };
    expect(await usersOfJob(MONGO_URL, reclaimedJob)).toEqual(all);
    expect(await usersOfJob(MONGO_URL, keptJob)).toEqual(all);
    // Delete holds the finalizer over the finished job's users; Retain let it go when the job ended.
    expect(getUgj(kube, ns, 'reclaimed')!.metadata.finalizers).toEqual([FINALIZER]);
    expect(await waitUntil(async () => getUgj(kube, ns, 'kept')!.metadata.finalizers, (f) => f === undefined, 30_000)).toBeUndefined();
    const table = mustOk(kubectl(kube, ['get', 'ugj', '-n', ns]));
    expect(table).toMatch(/NAME\s+STATE\s+COUNT\s+STORED\s+PROGRESS\s+USERS\/S\s+RECLAIM\s+AGE/);
    expect(table).toMatch(/kept\s+Succeeded\s+3000\s+3000\s+100%\s+\d+\s+Retain\s/);
    expect(table).toMatch(/reclaimed\s+Succeeded\s+3000\s+3000\s+100%\s+\d+\s+Delete\s/);
    const ids = await withDb((db) => db.collection('users').distinct('_id', { jobId: reclaimedJob }));

    const watch = watchPurge('reclaimed');
    try {
      mustOk(kubectl(kube, ['delete', 'ugj', 'reclaimed', '-n', ns, '--timeout=120s']));
      expect(getUgj(kube, ns, 'reclaimed')).toBeNull();
      expect(await usersOfJob(MONGO_URL, reclaimedJob)).toEqual({ users: 0, emails: 0, ids: 0 });
      expect(await usersOfJob(MONGO_URL, keptJob)).toEqual(all);
      // The purge's progress reached status, up to its last window, before the resource went.
      const done = (lines: string[]) => lines.some((l) => /^purg(ing|ed)\/3000\/0$/.test(l));
      expect(done(await waitUntil(async () => watch.seen(), done, 10_000))).toBe(true);
    } finally {
      watch.stop();
    }
    expect(eventsOf('reclaimed')).toEqual(
      expect.arrayContaining([
        `Purging: purging 3000 users of platform job ${reclaimedJob} (reclaimPolicy: Delete); status.purge shows the progress`,
        `Purged: 3000 users of platform job ${reclaimedJob} purged, none left: the resource goes`,
      ]),
    );
    // One user.deleted.single event per purged user waits in the outbox for the API's relay to publish.
    const waiting = await withDb((db) => db.collection('user_outbox').countDocuments({ topic: 'user.deleted.single', userId: { $in: ids.map(String) } }));
    expect(waiting).toBe(3_000);

    mustOk(kubectl(kube, ['delete', 'ugj', 'kept', '-n', ns, '--timeout=60s']));
    expect(getUgj(kube, ns, 'kept')).toBeNull();
    expect(await usersOfJob(MONGO_URL, keptJob)).toEqual(all);
    expect(eventsOf('kept').filter((e) => e.startsWith('Purg'))).toEqual([]);
  });

  it('Delete with a TTL: the resource deleted by its TTL goes the same way, its users purged first', async () => {
    mustOk(apply(kube, aUgj(ns, 'expiring', { count: 3_000, chunkSize: 1_000, seed: 3, reclaimPolicy: 'Delete', ttlSecondsAfterFinished: 1 })));
    const jobId = jobIdFor(uidOf('expiring'));
    expect(await waitUntil(async () => getUgj(kube, ns, 'expiring'), (u) => u === null, 180_000, 500)).toBeNull();
    expect(await usersOfJob(MONGO_URL, jobId)).toEqual({ users: 0, emails: 0, ids: 0 });
    expect(eventsOf('expiring')).toEqual(
      expect.arrayContaining(['JobSucceeded: 3000 users stored', expect.stringMatching(/^Purging: purging 3000 users/), expect.stringMatching(/^Purged: 3000 users .* purged/)]),
    );
  });

  it('is immutable: a changed reclaimPolicy is refused by the API server, the defaulted Retain included (invalid values and the default: operator.test.ts)', async () => {
    mustOk(apply(kube, aUgj(ns, 'owned', { count: 10, suspend: true })));
    const r = apply(kube, aUgj(ns, 'owned', { count: 10, suspend: true, reclaimPolicy: 'Delete' }));
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/reclaimPolicy is immutable/);
    mustOk(apply(kube, aUgj(ns, 'owned-delete', { count: 10, suspend: true, reclaimPolicy: 'Delete' })));
    expect(apply(kube, aUgj(ns, 'owned-delete', { count: 10, suspend: true, reclaimPolicy: 'Retain' })).err).toMatch(/reclaimPolicy is immutable/);
    expect(getUgj(kube, ns, 'owned-delete')!.spec.reclaimPolicy).toBe('Delete');
  });
});
