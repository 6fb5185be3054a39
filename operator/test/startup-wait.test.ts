import { freePort } from '@userforge/devstack';
import { probe, testEnv, testKube, testMongoUrl, waitUntil, TcpGate, hostPort } from '@userforge/testkit';
import { aUgj, apply, createNamespace, getUgj, installCrd, kubectl, mustOk, startOperator, type OperatorProcess } from '@userforge/devstack';
import { FINALIZER } from '../src/api/v1alpha1/user-generation-job.types';

jest.setTimeout(300_000);

const ns = `op-wait-${process.pid}`;
const readyz = (op: OperatorProcess) => probe(`http://127.0.0.1:${op.metricsPort}/readyz`);
const logged = (op: OperatorProcess, msg: string) => op.output().split('\n').some((line) => line.includes(`"msg":"${msg}"`));

/** The operator as its own process, with MongoDB's address a port that refuses until the test opens it. */
describe('operator waiting for MongoDB at start (real FerretDB behind a test-controlled port, real API server)', () => {
  let kube: ReturnType<typeof testKube>;
  let op: OperatorProcess | undefined;
  let gate: TcpGate | undefined;
  beforeAll(async () => {
    kube = testKube();
    await installCrd(kube);
    createNamespace(kube, ns);
  });
  afterEach(async () => {
    await op?.kill();
    await gate?.close();
    gate = undefined;
  });

  async function operatorWaitingForMongo(name: string): Promise<{ op: OperatorProcess; mongoPort: number; mongo: URL }> {
    const { REDIS_URL, KAFKA_BROKERS } = testEnv();
    const mongo = new URL(testMongoUrl(name));
    const mongoPort = await freePort();
    const gated = new URL(mongo);
    gated.host = `127.0.0.1:${mongoPort}`;
    // startOperator returns once /healthz answers: the ops server is up before any server is reached.
    const started = await startOperator(
      { MONGO_URL: gated.toString(), REDIS_URL, KAFKA_BROKERS, KUBECONFIG: kube.kubeconfig, WATCH_NAMESPACE: ns, CONSUMER_NAMESPACE: ns, LEASE_NAMESPACE: ns, LEASE_NAME: name },
      name,
    );
    await waitUntil(async () => logged(started, 'waiting for mongo'), (seen) => seen || started.proc.exitCode !== null, 120_000, 300);
    return { op: started, mongoPort, mongo };
  }

  it('is alive and not ready, naming MongoDB, until MongoDB answers; then ready', async () => {
    const waiting = await operatorWaitingForMongo('operator-startup-wait');
    op = waiting.op;
    const notReady = await readyz(op);
    expect(notReady).toEqual({
      status: 503,
      body: { status: 'unavailable', checks: { mongo: expect.stringMatching(/^down: waiting: attempt \d+ failed: /), kafka: 'down: waiting: not tried yet' } },
    });
    expect((await fetch(`http://127.0.0.1:${op.metricsPort}/healthz`)).status).toBe(200);

    gate = await TcpGate.open(waiting.mongoPort, hostPort(waiting.mongo.toString()), 'forward');
    const ready = await waitUntil(() => readyz(op!), (r) => r.status === 200 || op!.proc.exitCode !== null, 180_000, 500);
    expect(ready).toEqual({ status: 200, body: { status: 'ok' } });
    expect(logged(op, 'operator running')).toBe(true);
  });

  it('exits 0 on SIGTERM while it still waits for MongoDB', async () => {
    op = (await operatorWaitingForMongo('operator-startup-sigterm')).op;
    await op.kill('SIGTERM');
    expect(op.proc.exitCode).toBe(0);
    expect(logged(op, 'stopped')).toBe(true);
  });

  it('started while Kafka is down: leads, watches and lets a deleted resource go; Ready once Kafka answers, without a restart', async () => {
    const { REDIS_URL, KAFKA_BROKERS } = testEnv();
    const kafkaPort = await freePort();
    const name = 'operator-without-kafka';
    op = await startOperator(
      {
        MONGO_URL: testMongoUrl(name),
        REDIS_URL,
        KAFKA_BROKERS: `127.0.0.1:${kafkaPort}`,
        KUBECONFIG: kube.kubeconfig,
        WATCH_NAMESPACE: ns,
        CONSUMER_NAMESPACE: ns,
        LEASE_NAMESPACE: ns,
        LEASE_NAME: name,
      },
      name,
    );
    const pid = op.proc.pid;
    await waitUntil(async () => logged(op!, 'waiting for kafka'), (seen) => seen || op!.proc.exitCode !== null, 120_000, 300);
    expect(await readyz(op)).toEqual({ status: 503, body: { status: 'unavailable', checks: { mongo: 'ok', kafka: expect.stringMatching(/^down: waiting: /) } } });

    // A resource the operator had finalized before it restarted into the outage: its deletion must not wedge.
    const held = aUgj(ns, 'held', { count: 1_000 }) as ReturnType<typeof aUgj> & { metadata: { finalizers?: string[] } };
    held.metadata.finalizers = [FINALIZER];
    mustOk(apply(kube, held));
    mustOk(kubectl(kube, ['delete', 'ugj', 'held', '-n', ns, '--timeout=60s']));
    expect(getUgj(kube, ns, 'held')).toBeNull();
    const warned = mustOk(kubectl(kube, ['get', 'events', '-n', ns, '--field-selector', 'involvedObject.name=held,type=Warning', '-o', 'jsonpath={.items[*].reason}']));
    expect(warned.split(' ')).toContain('CancelDeferred');
    expect(await readyz(op)).toMatchObject({ status: 503 });

    gate = await TcpGate.open(kafkaPort, hostPort(KAFKA_BROKERS.split(',')[0]!), 'forward');
    const ready = await waitUntil(() => readyz(op!), (r) => r.status === 200 || op!.proc.exitCode !== null, 180_000, 500);
    expect(ready).toEqual({ status: 200, body: { status: 'ok' } });
    expect(op.proc.pid).toBe(pid);
    expect(op.proc.exitCode).toBeNull();
    expect(logged(op, 'servers reached')).toBe(true);
  });
});
