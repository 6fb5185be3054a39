import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { backoffMs } from '@userforge/platform';
import { WATCH_BACKOFF } from '../src/k8s/informer';
import { microTime, statusMergePatch } from '../src/k8s/client';
import { canAcquire } from '../src/k8s/lease';
import { loadKubeConnection } from '../src/k8s/rest';
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

describe('canAcquire', () => {
  const now = new Date('2026-11-21T10:00:15.000Z');
  const lease = (holderIdentity: string, renewedSecondsAgo: number) => ({
    metadata: { name: 'userforge-operator' },
    spec: { holderIdentity, leaseDurationSeconds: 15, renewTime: new Date(now.getTime() - renewedSecondsAgo * 1000).toISOString() },
  });
  it('a free, own or expired lease can be taken; a fresh one held by another cannot', () => {
    expect(canAcquire(null, 'me', now)).toBe(true);
    expect(canAcquire(lease('', 1), 'me', now)).toBe(true);
    expect(canAcquire(lease('me', 1), 'me', now)).toBe(true);
    expect(canAcquire(lease('other', 1), 'me', now)).toBe(false);
    expect(canAcquire(lease('other', 16), 'me', now)).toBe(true);
  });
});

describe('the REST client', () => {
  it('writes MicroTime with six fractional digits, as the API server wants', () => {
    expect(microTime(new Date('2026-11-21T10:00:15.123Z'))).toBe('2026-11-21T10:00:15.123000Z');
  });

  it('reads a kubeconfig: the current context, its cluster CA and user token', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uf-kubeconfig-'));
    const file = path.join(dir, 'kubeconfig');
    fs.writeFileSync(
      file,
      [
        'apiVersion: v1',
        'kind: Config',
        'current-context: b',
        'clusters:',
        '- {name: one, cluster: {server: "https://10.0.0.1:6443"}}',
        `- {name: two, cluster: {server: "https://127.0.0.1:6443", certificate-authority-data: ${Buffer.from('CA').toString('base64')}}}`,
        'users:',
        '- {name: u1, user: {token: nope}}',
        '- {name: u2, user: {token: secret}}',
        'contexts:',
        '- {name: a, context: {cluster: one, user: u1}}',
        '- {name: b, context: {cluster: two, user: u2}}',
      ].join('\n'),
    );
    const conn = loadKubeConnection(file);
    expect(conn.server).toBe('https://127.0.0.1:6443');
    expect(conn.ca?.toString()).toBe('CA');
    expect(conn.token?.()).toBe('secret');
  });
});

describe('statusMergePatch', () => {
  it('deletes (null) every status field the new status lacks, and keeps the ones it has', () => {
    const patch = statusMergePatch({ state: 'Succeeded', usersStored: 10, conditions: [] });
    expect(patch).toMatchObject({ state: 'Succeeded', usersStored: 10, conditions: [], etaSeconds: null, jobId: null });
    expect(Object.keys(patch).sort()).toEqual(
      ['chunksDone', 'chunksTotal', 'completionTime', 'conditions', 'etaSeconds', 'jobId', 'observedGeneration', 'progress', 'startTime', 'state', 'usersPerSec', 'usersStored'],
    );
  });
});
