import { createLogger } from '@userforge/platform';
import { testKube, waitUntil, testEnv, testMongoUrl } from '@userforge/testkit';
import { KubeClient } from '../src/k8s/client';
import { Informer, watchIdleDeadlineMs, type WatchEnd } from '../src/k8s/informer';
import { loadKubeConfig } from '../src/k8s/rest';
import { aUgj, apply, createNamespace, getUgj, installCrd, mustOk, startOperator, type OperatorProcess } from '@userforge/devstack';
import { apiServerOf, kubeconfigVia, StallProxy } from './stall-proxy';

jest.setTimeout(300_000);

/**
 * The informer the operator runs, through the client it ships, behind a TCP proxy of the test's own
 * that stalls (accepts, passes nothing): the watch is presumed dead after its timeoutSeconds plus a
 * margin, aborted, counted, and resumed from the last resource version (no relist) once the
 * network passes bytes again.
 */
const ns = `stall-${process.pid}`;
const TIMEOUT_SECONDS = 5;
let kube: ReturnType<typeof testKube>;
let proxy: StallProxy;
let informer: Informer;

afterAll(async () => {
  await informer?.stop();
  await proxy?.close();
});

it('notices a stalled watch within its idle deadline and re-watches from the last resource version', async () => {
  kube = testKube();
  await installCrd(kube);
  createNamespace(kube, ns);
  proxy = await StallProxy.open(apiServerOf(kube.kubeconfig));
  const client = new KubeClient(loadKubeConfig(kubeconfigVia(kube.kubeconfig, proxy.port)), ns);
  const requests = { list: 0, watch: 0 };
  const errors: { reason: WatchEnd | 'list'; at: number }[] = [];
  informer = new Informer(
    client.jobs(),
    () => undefined,
    createLogger('watch-stall-test', 'warn'),
    { onRequest: (kind) => (requests[kind] += 1), onError: (reason) => errors.push({ reason, at: Date.now() }) },
    TIMEOUT_SECONDS,
  );
  informer.start();
  mustOk(apply(kube, aUgj(ns, 'before-the-stall', { count: 100 })));
  await waitUntil(async () => informer.cache.has(`${ns}/before-the-stall`), Boolean, 30_000, 50);
  expect(requests.list).toBe(1);

  proxy.stall();
  const stalledAt = Date.now();
  // Changed while nothing passes: the informer cannot see it until it watches again.
  mustOk(apply(kube, aUgj(ns, 'during-the-stall', { count: 100 })));
  const deadline = watchIdleDeadlineMs(TIMEOUT_SECONDS);
  await waitUntil(async () => errors.find((e) => e.reason === 'idle_timeout'), Boolean, deadline + 10_000, 100);
  const noticedAfter = errors.find((e) => e.reason === 'idle_timeout')!.at - stalledAt;
  expect(noticedAfter).toBeLessThanOrEqual(deadline + 1_000);
  expect(informer.cache.has(`${ns}/during-the-stall`)).toBe(false);
  // It watches again after its backoff (and that watch stalls too).
  await waitUntil(async () => requests.watch, (n) => n >= 2, 5_000, 50);

  proxy.resume();
  const resumedAt = Date.now();
  await waitUntil(async () => informer.cache.has(`${ns}/during-the-stall`), Boolean, deadline + 35_000, 100);
  console.log(`stall noticed after ${noticedAfter} ms (deadline ${deadline} ms); the change made during it seen ${Date.now() - resumedAt} ms after the network came back`);
  // Resumed from the last resource version: the change came from a watch, not a new list.
  expect(requests.list).toBe(1);
  // Idle deadlines while stalled, and the stalled re-watch cut when the proxy drops it: nothing that distrusts the cache.
  expect(errors.map((e) => e.reason).filter((r) => r !== 'idle_timeout' && r !== 'error')).toEqual([]);
});

it('counts a handler that throws, lists afresh after a backoff, and keeps running', async () => {
  const client = new KubeClient(loadKubeConfig(kube.kubeconfig), ns);
  const requests = { list: 0, watch: 0 };
  const errors: string[] = [];
  let failOnce = true;
  const second = new Informer(
    client.jobs(),
    (key) => {
      if (key === `${ns}/handled-twice` && failOnce) {
        failOnce = false;
        throw new Error('handler failed');
      }
    },
    createLogger('watch-stall-test', 'error'),
    { onRequest: (kind) => (requests[kind] += 1), onError: (reason) => errors.push(reason) },
    TIMEOUT_SECONDS,
  );
  second.start();
  try {
    await waitUntil(async () => second.synced, Boolean, 30_000, 50);
    mustOk(apply(kube, aUgj(ns, 'handled-twice', { count: 100 })));
    await waitUntil(async () => requests.list, (n) => n >= 2, 30_000, 50);
    expect(errors).toEqual(['handler']);
    expect(second.cache.has(`${ns}/handled-twice`)).toBe(true);
  } finally {
    await second.stop();
  }
});

it('the operator itself: its watch frozen for 60 s (new connections pass), it re-watches by its deadline and a resource applied meanwhile runs', async () => {
  const { REDIS_URL, KAFKA_BROKERS } = testEnv();
  const WATCH_TIMEOUT = 30;
  const frozenFor = 60_000;
  const name = 'operator-watch-freeze';
  const frozen = await StallProxy.open(apiServerOf(kube.kubeconfig));
  let op: OperatorProcess | undefined;
  try {
    op = await startOperator(
      {
        MONGO_URL: testMongoUrl(name),
        REDIS_URL,
        KAFKA_BROKERS,
        KUBECONFIG: kubeconfigVia(kube.kubeconfig, frozen.port),
        WATCH_NAMESPACE: ns,
        CONSUMER_NAMESPACE: ns,
        LEASE_NAMESPACE: ns,
        LEASE_NAME: name,
        WATCH_TIMEOUT_SECONDS: String(WATCH_TIMEOUT),
      },
      name,
    );
    const metrics = async () => (await fetch(`http://127.0.0.1:${op!.metricsPort}/metrics`)).text();
    const idleTimeouts = async () => Number(/watch_errors_total\{[^}]*reason="idle_timeout"[^}]*\} (\d+)/.exec(await metrics())?.[1] ?? 0);
    // Leading and watching: a resource applied now gets its status.
    mustOk(apply(kube, aUgj(ns, 'before-the-freeze', { count: 100 })));
    await waitUntil(async () => getUgj(kube, ns, 'before-the-freeze')?.status?.jobId, Boolean, 120_000, 250);

    frozen.freezeOpen();
    const frozenAt = Date.now();
    mustOk(apply(kube, aUgj(ns, 'during-the-freeze', { count: 100 })));
    const deadline = watchIdleDeadlineMs(WATCH_TIMEOUT);
    // Seen once the frozen watch was given up and a new one (on a new connection) listed or resumed.
    const seen = await waitUntil(async () => getUgj(kube, ns, 'during-the-freeze')?.status?.jobId, Boolean, frozenFor, 250);
    const seenAfter = Date.now() - frozenAt;
    console.log(`watch frozen at 0 ms; the resource applied then has its job after ${seenAfter} ms (idle deadline ${deadline} ms)`);
    expect(seen).toBeTruthy();
    expect(seenAfter).toBeLessThanOrEqual(deadline + 10_000);
    expect(seenAfter).toBeLessThan(frozenFor); // the freeze never ended by itself: the deadline did it
    // One of the operator's own deadlines did it: the watch's idle deadline, or the lease's renew
    // deadline (the freeze also holds the lease's kept-alive connection, so the leader may step down
    // first and its next session list afresh). Either way nothing waited for the network.
    const steppedDown = op.output().includes('"msg":"stopped leading"');
    const idle = await idleTimeouts();
    console.log(`recovered by ${steppedDown ? 'the lease: the leader stepped down and listed afresh' : `the watch's idle deadline (${idle} idle timeouts)`}`);
    expect(steppedDown || idle >= 1).toBe(true);
    expect(['Publishing', 'Running', 'Succeeded']).toContain(getUgj(kube, ns, 'during-the-freeze')!.status!.state);
  } finally {
    await op?.kill();
    await frozen.close();
  }
});
