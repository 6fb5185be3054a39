import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import yaml from 'js-yaml';
import { loadConsumerConfig } from '../../services/consumer/src/config';
import { start as startConsumer, type RunningConsumer } from '../../services/consumer/src/main';
import { testEnv, testKube, testMongoUrl, waitUntil } from '@userforge/testkit';
import { RBAC, aUgj, apply, consumerDeployment, createNamespace, getUgj, installCrd, kubectl, mustOk, replicasOf, startOperator, type OperatorProcess } from '@userforge/devstack';

jest.setTimeout(300_000);

const ns = 'userforge'; // the namespace k8s/rbac/operator.yaml installs into
const SA = `system:serviceaccount:${ns}:userforge-operator`;
let kube: ReturnType<typeof testKube>;

const can = (args: string[]) => kubectl(kube, ['auth', 'can-i', ...args, '--as', SA]).out.trim();

beforeAll(async () => {
  kube = testKube();
  await installCrd(kube);
  createNamespace(kube, ns);
  mustOk(kubectl(kube, ['apply', '-f', RBAC]));
});

describe('k8s/rbac: least privilege for the operator', () => {
  it.each([
    ['list', 'usergenerationjobs.userforge.io', '--all-namespaces'],
    ['watch', 'usergenerationjobs.userforge.io', '--all-namespaces'],
    ['get', 'usergenerationjobs.userforge.io', '-n', 'elsewhere'],
    ['patch', 'usergenerationjobs.userforge.io', '-n', 'elsewhere'],
    ['delete', 'usergenerationjobs.userforge.io', '-n', 'elsewhere'],
    ['patch', 'usergenerationjobs.userforge.io', '--subresource=status', '-n', 'elsewhere'],
    ['create', 'events', '-n', 'elsewhere'],
    ['patch', 'events', '-n', 'elsewhere'],
    ['list', 'deployments.apps/userforge-consumer', '-n', ns],
    ['watch', 'deployments.apps/userforge-consumer', '-n', ns],
    ['patch', 'deployments/userforge-consumer', '--subresource=scale', '-n', ns],
    ['create', 'leases.coordination.k8s.io', '-n', ns],
    ['get', 'leases.coordination.k8s.io/userforge-operator', '-n', ns],
    ['update', 'leases.coordination.k8s.io/userforge-operator', '-n', ns],
  ])('allows %s %s', (...args) => {
    expect([args.join(' '), can(args)]).toEqual([args.join(' '), 'yes']);
  });

  it.each([
    ['get', 'secrets', '-n', ns],
    ['list', 'secrets', '--all-namespaces'],
    ['delete', 'deployments', '-n', ns],
    ['patch', 'deployments/userforge-consumer', '-n', ns],
    ['get', 'deployments/userforge-consumer', '-n', ns],
    ['list', 'deployments.apps', '-n', ns],
    ['watch', 'deployments.apps', '-n', ns],
    ['watch', 'deployments.apps/other', '-n', ns],
    ['list', 'deployments.apps/userforge-consumer', '-n', 'elsewhere'],
    ['get', 'deployments/userforge-consumer', '--subresource=scale', '-n', ns],
    ['patch', 'deployments/other', '--subresource=scale', '-n', ns],
    ['patch', 'deployments/userforge-consumer', '--subresource=scale', '-n', 'elsewhere'],
    ['create', 'usergenerationjobs.userforge.io', '-n', ns],
    ['update', 'usergenerationjobs.userforge.io', '-n', ns],
    ['update', 'leases.coordination.k8s.io/someone-else', '-n', ns],
    ['delete', 'leases.coordination.k8s.io/userforge-operator', '-n', ns],
    ['create', 'pods', '-n', ns],
    ['list', 'pods', '-n', ns],
    ['get', 'nodes'],
    ['create', 'customresourcedefinitions.apiextensions.k8s.io'],
  ])('denies %s %s', (...args) => {
    expect([args.join(' '), can(args)]).toEqual([args.join(' '), 'no']);
  });
});

describe('the operator with only those permissions', () => {
  let consumer: RunningConsumer;
  let op: OperatorProcess | undefined;
  const MONGO_URL = testMongoUrl('operator_rbac');
  afterAll(async () => {
    await op?.kill('SIGTERM');
    await consumer?.stop();
  });

  it('reconciles a job to Succeeded and scales the consumers, as its service account', async () => {
    const admin = yaml.load(fs.readFileSync(kube.kubeconfig, 'utf8')) as { clusters: { cluster: Record<string, string> }[] };
    const token = mustOk(kubectl(kube, ['create', 'token', 'userforge-operator', '-n', ns, '--duration=1h'])).trim();
    const kubeconfig = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'uf-sa-')), 'kubeconfig');
    fs.writeFileSync(
      kubeconfig,
      yaml.dump({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'test', cluster: admin.clusters[0]!.cluster }],
        users: [{ name: 'operator', user: { token } }],
        contexts: [{ name: 'operator', context: { cluster: 'test', user: 'operator' } }],
        'current-context': 'operator',
      }),
    );
    mustOk(apply(kube, consumerDeployment(ns)));
    const { REDIS_URL, KAFKA_BROKERS } = testEnv();
    consumer = await startConsumer(
      loadConsumerConfig({ MONGO_URL, REDIS_URL, KAFKA_BROKERS, METRICS_PORT: '0', KAFKA_GROUP_ID: `rbac-${randomUUID()}`, KAFKA_EVENTS_GROUP_ID: `rbac-ev-${randomUUID()}`, KAFKA_SESSION_TIMEOUT_MS: '8000', LOG_LEVEL: 'warn' }),
    );
    op = await startOperator({ MONGO_URL, REDIS_URL, KAFKA_BROKERS, KUBECONFIG: kubeconfig, WATCH_NAMESPACE: ns, CONSUMER_NAMESPACE: ns, LEASE_NAMESPACE: ns }, 'rbac-operator');
    mustOk(apply(kube, aUgj(ns, 'least-privilege', { count: 20_000, parallelism: 2 })));
    let peak = 0;
    const done = await waitUntil(
      async () => {
        peak = Math.max(peak, replicasOf(kube, ns));
        return getUgj(kube, ns, 'least-privilege');
      },
      (u) => u?.status?.state === 'Succeeded',
      180_000,
      250,
    );
    expect(done!.status?.usersStored).toBe(20_000);
    expect(peak).toBe(2);
    expect(op.output()).not.toMatch(/forbidden/i);
  });
});
