import { randomUUID } from 'node:crypto';
import { isolatedSettings, startIsolatedStack, serverDefs, down, up } from '@userforge/devstack';
import { loadConsumerConfig } from '../../services/consumer/src/config';
import { start as startConsumer, type RunningConsumer } from '../../services/consumer/src/main';
import { testEnv, testMongoUrl, waitUntil } from '@userforge/testkit';
import { aUgj, apply, createNamespace, getUgj, installCrd, mustOk, startOperator, type OperatorProcess } from '@userforge/devstack';

jest.setTimeout(420_000);

/**
 * Its own control plane (etcd, kube-apiserver, kube-controller-manager on free ports), because the
 * test stops the API server, which other test files must not feel.
 */
const MONGO_URL = testMongoUrl('operator_outage');
const ns = 'outage';
let stack: Awaited<ReturnType<typeof startIsolatedStack>>;
let consumer: RunningConsumer;
let op: OperatorProcess;

beforeAll(async () => {
  stack = await startIsolatedStack(await isolatedSettings('operator-outage'), ['kube']);
  await installCrd(stack.kube!);
  createNamespace(stack.kube!, ns);
  const { REDIS_URL, KAFKA_BROKERS } = testEnv();
  consumer = await startConsumer(
    loadConsumerConfig({ MONGO_URL, REDIS_URL, KAFKA_BROKERS, METRICS_PORT: '0', KAFKA_GROUP_ID: `out-${randomUUID()}`, KAFKA_EVENTS_GROUP_ID: `out-ev-${randomUUID()}`, KAFKA_SESSION_TIMEOUT_MS: '8000', LOG_LEVEL: 'warn' }),
  );
  op = await startOperator(
    { MONGO_URL, REDIS_URL, KAFKA_BROKERS, KUBECONFIG: stack.kube!.kubeconfig, WATCH_NAMESPACE: ns, CONSUMER_NAMESPACE: ns, LEASE_NAMESPACE: ns, LEASE_DURATION_SECONDS: '6' },
    'outage-operator',
  );
});

afterAll(async () => {
  await op?.kill('SIGTERM');
  await consumer?.stop();
  await stack?.stop();
});

it('survives the API server stopping for 20 s mid-job: few requests while it is down, status catches up after', async () => {
  const kube = stack.kube!;
  mustOk(apply(kube, aUgj(ns, 'through-the-outage', { count: 300_000, seed: 3 })));
  await waitUntil(async () => getUgj(kube, ns, 'through-the-outage')?.status?.state, (s) => s === 'Running', 60_000, 250);

  const apiserver = serverDefs(stack.settings, ['kube']).filter((d) => d.name === 'kube-apiserver');
  const sumRequests = async () => {
    const text = await (await fetch(`http://127.0.0.1:${op.metricsPort}/metrics`)).text();
    return text.split('\n').filter((l) => l.startsWith('userforge_operator_kube_requests_total')).reduce((n, l) => n + Number(l.split(' ').pop()), 0);
  };
  const before = await sumRequests();
  await down(stack.settings, apiserver);
  const stoppedAt = Date.now();
  await new Promise((r) => setTimeout(r, 20_000));
  const during = (await sumRequests()) - before;
  const seconds = (Date.now() - stoppedAt) / 1000;
  await up(stack.settings, apiserver);
  expect(before).toBeGreaterThan(0);
  // A handful per second at most: backoff, not a flood.
  expect(during / seconds).toBeLessThanOrEqual(3);
  expect(op.proc.exitCode).toBeNull();

  const done = await waitUntil(async () => getUgj(kube, ns, 'through-the-outage'), (u) => u?.status?.state === 'Succeeded', 240_000, 500);
  expect(done!.status?.usersStored).toBe(300_000);
  console.log(`API server down ${seconds.toFixed(1)} s: ${during} operator requests (${(during / seconds).toFixed(2)}/s)`);
});
