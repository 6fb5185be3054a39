import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { backoffMs } from '@userforge/platform';
import { afterWatch, decodeWatchLine, WATCH_BACKOFF, watchIdleDeadlineMs } from '../src/k8s/informer';
import { microTime, statusMergePatch } from '../src/k8s/client';
import { canAcquire, LeaderElector, leaseTimings, observe, renewDeadlinePassed, type LeaseObservation } from '../src/k8s/lease';
import { kubeconfigFiles, KubeConfigError, loadKubeConfig, mergeKubeconfigs, proxyFromEnv } from '../src/k8s/rest';
import { WorkQueue } from '../src/k8s/work-queue';

describe('WorkQueue', () => {
  it('holds a key once, re-queues one added while in process, and hands keys out in order', async () => {
    const q = new WorkQueue();
    q.add('a');
    q.add('b');
    q.add('a');
    expect(q.depth).toBe(2);
    const a = await q.get();
    q.add('a'); // changed while being processed
    expect(q.depth).toBe(1);
    expect(await q.get()).toBe('b');
    q.done('b');
    q.done(a!);
    expect(await q.get()).toBe('a');
  });

  it('backs off per key exponentially up to a cap, and forgets on success', () => {
    const q = new WorkQueue(100, 1_000);
    expect([1, 2, 3, 4, 5].map(() => q.addRateLimited('k'))).toEqual([100, 200, 400, 800, 1_000]);
    q.forget('k');
    q.shutdown();
    expect(new WorkQueue(100, 1_000).addRateLimited('k')).toBe(100);
  });

  it('wakes waiting workers with null on shutdown', async () => {
    const q = new WorkQueue();
    const waiting = q.get();
    q.shutdown();
    expect(await waiting).toBeNull();
  });
});

describe('watch backoff', () => {
  it('doubles from half a second to at most 30 s: a dead API server sees a request every few seconds at worst', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 20].map((n) => backoffMs(n, WATCH_BACKOFF))).toEqual([500, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
  });
});

describe('watch decisions', () => {
  it('backs off after every error; lists afresh only when the cache cannot be trusted', () => {
    expect(afterWatch('ended')).toEqual({ relist: false, backoff: false });
    expect(afterWatch('idle_timeout')).toEqual({ relist: false, backoff: true });
    expect(afterWatch('error')).toEqual({ relist: false, backoff: true });
    for (const end of ['gone', 'malformed', 'handler'] as const) expect(afterWatch(end)).toEqual({ relist: true, backoff: true });
  });

  it('presumes a watch dead after its timeout plus 10 % (at least 5 s) of silence', () => {
    expect(watchIdleDeadlineMs(240)).toBe(264_000);
    expect(watchIdleDeadlineMs(10)).toBe(15_000);
  });

  it('decodes events and bookmarks; a bad line or an ERROR event ends the watch with its reason', () => {
    expect(decodeWatchLine('{"type":"ADDED","object":{"metadata":{"name":"a"}}}').type).toBe('ADDED');
    expect(decodeWatchLine('{"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"9"}}}').type).toBe('BOOKMARK');
    const endOf = (line: string) => {
      try {
        decodeWatchLine(line);
        return 'none';
      } catch (err) {
        return (err as { end: string }).end;
      }
    };
    expect(endOf('{"type":"ADDED","obj')).toBe('malformed');
    expect(endOf('[1,2]')).toBe('malformed');
    expect(endOf('{"type":"MODIFIED","object":{"metadata":{}}}')).toBe('malformed');
    expect(endOf('{"type":"ERROR","object":{"code":410,"message":"too old resource version"}}')).toBe('gone');
    expect(endOf('{"type":"ERROR","object":{"code":500,"message":"internal error"}}')).toBe('error');
  });
});

describe('leader election decisions', () => {
  const t0 = 1_000_000;
  const aLease = (holderIdentity: string, renewTime: string, resourceVersion = '1', leaseDurationSeconds = 15) => ({
    metadata: { name: 'userforge-operator', resourceVersion },
    spec: { holderIdentity, leaseDurationSeconds, renewTime },
  });

  it('scales client-go timings (15 s lease, 10 s renew deadline, 2 s retry) and fits a GET and a PUT inside the deadline', () => {
    expect(leaseTimings(15)).toEqual({ leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000, requestTimeoutMs: 4_000 });
    for (const d of [2, 4, 6, 15, 60, 300]) {
      const t = leaseTimings(d);
      expect(t.renewDeadlineMs).toBeLessThan(t.leaseDurationMs);
      expect(2 * t.requestTimeoutMs + t.retryPeriodMs).toBeLessThanOrEqual(t.renewDeadlineMs);
    }
  });

  it('dates a change of (holder, renewTime, resourceVersion) by the local clock and keeps that date while nothing changes', () => {
    const first = observe(null, aLease('other', '2030-01-01T00:00:00.000000Z'), t0, 15_000)!;
    expect(first).toMatchObject({ holder: 'other', seenAtMs: t0, durationMs: 15_000 });
    expect(observe(first, aLease('other', '2030-01-01T00:00:00.000000Z'), t0 + 5_000, 15_000)!.seenAtMs).toBe(t0);
    expect(observe(first, aLease('other', '2030-01-01T00:00:02.000000Z', '2'), t0 + 5_000, 15_000)!.seenAtMs).toBe(t0 + 5_000);
    expect(observe(first, aLease('next', '2030-01-01T00:00:00.000000Z'), t0 + 5_000, 15_000)!.seenAtMs).toBe(t0 + 5_000);
    expect(observe(first, null, t0, 15_000)).toBeNull();
  });

  it('takes a lease held by another only after a whole lease duration unchanged, whatever its renewTime says', () => {
    const seen = (holder: string, renewTime: string): LeaseObservation => ({ holder, renewTime, resourceVersion: '1', durationMs: 15_000, seenAtMs: t0 });
    const farFuture = new Date(t0 + 600_000).toISOString();
    const longAgo = new Date(t0 - 3_600_000).toISOString();
    expect(canAcquire(null, 'me', t0)).toBe(true);
    expect(canAcquire(seen('', longAgo), 'me', t0)).toBe(true);
    expect(canAcquire(seen('me', longAgo), 'me', t0)).toBe(true);
    // A skewed holder: renewTime 10 minutes ahead does not protect it past one duration…
    expect(canAcquire(seen('dead', farFuture), 'me', t0 + 14_999)).toBe(false);
    expect(canAcquire(seen('dead', farFuture), 'me', t0 + 15_000)).toBe(true);
    // …nor does a renewTime an hour behind let a live lease be taken early.
    expect(canAcquire(seen('alive', longAgo), 'me', t0 + 1_000)).toBe(false);
  });

  it('stops a leader once its last successful renewal is a renew deadline old', () => {
    expect(renewDeadlinePassed(t0, 10_000, t0 + 9_999)).toBe(false);
    expect(renewDeadlinePassed(t0, 10_000, t0 + 10_000)).toBe(true);
  });

  it('stops leading at the renew deadline even when its timer fires before it by Date.now() (a busy loop), and never earlier', async () => {
    let now = t0;
    const timers: { fn: () => void; ms: number }[] = [];
    jest.spyOn(Date, 'now').mockImplementation(() => now);
    jest.spyOn(global, 'setTimeout').mockImplementation(((fn: () => void, ms: number) => (timers.push({ fn, ms }), { unref: () => undefined })) as unknown as typeof setTimeout);
    try {
      const lease = { metadata: { name: 'l', namespace: 'ns', resourceVersion: '1' }, spec: { holderIdentity: 'me', leaseDurationSeconds: 6, renewTime: microTime(new Date(t0)) } };
      const client = { readLease: async () => null, createLease: async () => lease, replaceLease: () => new Promise<never>(() => undefined) };
      const events: string[] = [];
      const quiet = { info: () => undefined, warn: () => undefined } as unknown as ConstructorParameters<typeof LeaderElector>[2];
      const elector = new LeaderElector(client, { namespace: 'ns', name: 'l', identity: 'me', durationSeconds: 6 }, quiet, () => events.push('started'), () => events.push('stopped'));
      elector.start();
      await new Promise((r) => setImmediate(r));
      expect(events).toEqual(['started']);
      const deadline = timers.find((t) => t.ms === elector.timings.renewDeadlineMs)!;
      now = t0 + elector.timings.renewDeadlineMs - 7; // fired 7 ms early by the wall clock
      deadline.fn();
      expect(elector.isLeader).toBe(true);
      const again = timers.at(-1)!;
      expect(again.ms).toBe(7);
      now = t0 + elector.timings.renewDeadlineMs;
      again.fn();
      expect(elector.isLeader).toBe(false);
      expect(events).toEqual(['started', 'stopped']);
    } finally {
      jest.restoreAllMocks();
    }
  });
});

describe('the REST client', () => {
  it('writes MicroTime with six fractional digits, as the API server wants', () => {
    expect(microTime(new Date('2026-11-21T10:00:15.123Z'))).toBe('2026-11-21T10:00:15.123000Z');
  });

  const writeKubeconfig = (dir: string, name: string, lines: string[]) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, ['apiVersion: v1', 'kind: Config', ...lines].join('\n'));
    return file;
  };
  const ca = Buffer.from('CA').toString('base64');

  it('reads a kubeconfig through KubeConfig: the current context, its cluster CA, TLS server name and user token', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uf-kubeconfig-'));
    const file = writeKubeconfig(dir, 'kubeconfig', [
      'current-context: b',
      'clusters:',
      '- {name: one, cluster: {server: "https://10.0.0.1:6443"}}',
      `- {name: two, cluster: {server: "https://127.0.0.1:6443", certificate-authority-data: ${ca}, tls-server-name: api.internal}}`,
      'users:',
      '- {name: u1, user: {token: nope}}',
      '- {name: u2, user: {token: secret}}',
      'contexts:',
      '- {name: a, context: {cluster: one, user: u1}}',
      '- {name: b, context: {cluster: two, user: u2}}',
    ]);
    const kc = loadKubeConfig(file, {});
    expect(kc.getCurrentCluster()?.server).toBe('https://127.0.0.1:6443');
    const opts: { headers: Record<string, string>; ca?: Buffer; servername?: string } = { headers: {} };
    await kc.applyToHTTPSOptions(opts);
    expect(opts.ca?.toString()).toBe('CA');
    expect(opts.servername).toBe('api.internal');
    expect(opts.headers.Authorization).toBe('Bearer secret');
  });

  it('merges a KUBECONFIG list as kubectl does: the first file to name something wins', () => {
    expect(kubeconfigFiles(`a${path.delimiter}${path.delimiter}b`)).toEqual(['a', 'b']);
    const merged = mergeKubeconfigs([
      { clusters: [{ name: 'c', server: 'https://first', skipTLSVerify: false }], users: [], contexts: [], currentContext: '' },
      {
        clusters: [{ name: 'c', server: 'https://second', skipTLSVerify: false }, { name: 'd', server: 'https://d', skipTLSVerify: false }],
        users: [{ name: 'u' }],
        contexts: [{ name: 'x', cluster: 'd', user: 'u' }],
        currentContext: 'x',
      },
    ]);
    expect(merged.clusters.map((c) => c.server)).toEqual(['https://first', 'https://d']);
    expect(merged.currentContext).toBe('x');

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uf-kubeconfig-'));
    const clusters = writeKubeconfig(dir, 'clusters', ['clusters:', `- {name: local, cluster: {server: "https://127.0.0.1:6443", certificate-authority-data: ${ca}}}`, 'users: []', 'contexts: []']);
    const creds = writeKubeconfig(dir, 'creds', ['current-context: dev', 'clusters: []', 'users:', '- {name: me, user: {token: t}}', 'contexts:', '- {name: dev, context: {cluster: local, user: me}}']);
    expect(loadKubeConfig(`${clusters}${path.delimiter}${creds}`, {}).getCurrentCluster()?.server).toBe('https://127.0.0.1:6443');
  });

  it('refuses a kubeconfig without a current context, naming the file, the fix and the contexts', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uf-kubeconfig-'));
    const file = writeKubeconfig(dir, 'kubeconfig', ['clusters:', '- {name: c, cluster: {server: "https://127.0.0.1:6443"}}', 'users:', '- {name: u, user: {token: t}}', 'contexts:', '- {name: only, context: {cluster: c, user: u}}']);
    expect(() => loadKubeConfig(file, {})).toThrow(KubeConfigError);
    expect(() => loadKubeConfig(file, {})).toThrow(`kubeconfig ${file}: no current-context is set; choose one with \`kubectl config use-context <name>\` (contexts: only)`);
    const dangling = writeKubeconfig(dir, 'dangling', ['current-context: gone', 'clusters: []', 'users: []', 'contexts:', '- {name: only, context: {cluster: c, user: u}}']);
    expect(() => loadKubeConfig(dangling, {})).toThrow('current-context "gone" is not among its contexts (only)');
  });

  it('takes HTTPS_PROXY for the server unless NO_PROXY names its host, and a cluster proxy-url over both', () => {
    const env = { HTTPS_PROXY: 'http://proxy:3128', NO_PROXY: 'localhost,.svc,10.0.0.1:6443,internal.example' };
    expect(proxyFromEnv('https://api.example.com:6443', env)).toBe('http://proxy:3128');
    expect(proxyFromEnv('https://localhost:6443', env)).toBeUndefined();
    expect(proxyFromEnv('https://kubernetes.default.svc', env)).toBeUndefined();
    expect(proxyFromEnv('https://10.0.0.1:6443', env)).toBeUndefined();
    expect(proxyFromEnv('https://10.0.0.1:443', env)).toBe('http://proxy:3128');
    expect(proxyFromEnv('https://a.internal.example', env)).toBeUndefined();
    expect(proxyFromEnv('https://api.example.com', { https_proxy: 'http://p:1', no_proxy: '*' })).toBeUndefined();
    expect(proxyFromEnv('https://api.example.com', {})).toBeUndefined();

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uf-kubeconfig-'));
    const file = writeKubeconfig(dir, 'kubeconfig', [
      'current-context: a',
      'clusters:',
      '- {name: c, cluster: {server: "https://api.example.com:6443"}}',
      '- {name: p, cluster: {server: "https://api.example.com:6443", proxy-url: "http://own:8080"}}',
      'users: [{name: u, user: {token: t}}]',
      'contexts: [{name: a, context: {cluster: c, user: u}}, {name: b, context: {cluster: p, user: u}}]',
    ]);
    const kc = loadKubeConfig(file, env);
    expect(kc.getCurrentCluster()?.proxyUrl).toBe('http://proxy:3128');
    expect(kc.getCluster('p')?.proxyUrl).toBe('http://own:8080');
  });
});

describe('statusMergePatch', () => {
  it('deletes (null) every status field the new status lacks, and keeps the ones it has', () => {
    const patch = statusMergePatch({ state: 'Succeeded', usersStored: 10, conditions: [] });
    expect(patch).toMatchObject({ state: 'Succeeded', usersStored: 10, conditions: [], etaSeconds: null, jobId: null });
    expect(Object.keys(patch).sort()).toEqual(
      ['chunksDone', 'chunksTotal', 'completionTime', 'conditions', 'etaSeconds', 'jobId', 'observedGeneration', 'progress', 'purge', 'startTime', 'state', 'usersPerSec', 'usersStored'],
    );
  });
});
