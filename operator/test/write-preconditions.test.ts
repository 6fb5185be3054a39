import type { UserGenerationJob } from '@userforge/contracts';
import { aUgj, apply, createNamespace, getUgj, installCrd, kubectl, mustOk } from '@userforge/devstack';
import { testKube } from '@userforge/testkit';
import { FINALIZER } from '../src/api/v1alpha1/user-generation-job.types';
import { KubeClient, eventTargetOf, finalizerPatch, statusOf } from '../src/k8s/client';
import { loadKubeConfig } from '../src/k8s/rest';

jest.setTimeout(120_000);

/**
 * The operator's writes to a UserGenerationJob carry preconditions, so a stale cache never undoes
 * someone else's change: finalizers by a JSON patch that tests the list it replaces, deletes by uid.
 * Against the real API server, through the client the operator ships.
 */
const ns = `writes-${process.pid}`;
let kube: ReturnType<typeof testKube>;
let client: KubeClient;

beforeAll(async () => {
  kube = testKube();
  await installCrd(kube);
  createNamespace(kube, ns);
  client = new KubeClient(loadKubeConfig(kube.kubeconfig), ns);
});

afterAll(() => {
  kubectl(kube, ['delete', 'namespace', ns, '--wait=false']);
});

const setOthers = (name: string, finalizers: string[]) =>
  mustOk(kubectl(kube, ['patch', 'ugj', name, '-n', ns, '--type=merge', '-p', JSON.stringify({ metadata: { finalizers } })]));

describe('finalizerPatch (pure)', () => {
  const meta = { name: 'a', namespace: 'n', uid: 'u-1', resourceVersion: '42' };
  it('tests the uid and the list it replaces; an object without finalizers by its resource version', () => {
    expect(finalizerPatch({ metadata: { ...meta, finalizers: ['x'] } }, ['x', FINALIZER])).toEqual([
      { op: 'test', path: '/metadata/uid', value: 'u-1' },
      { op: 'test', path: '/metadata/finalizers', value: ['x'] },
      { op: 'replace', path: '/metadata/finalizers', value: ['x', FINALIZER] },
    ]);
    expect(finalizerPatch({ metadata: meta }, [FINALIZER])).toEqual([
      { op: 'test', path: '/metadata/uid', value: 'u-1' },
      { op: 'test', path: '/metadata/resourceVersion', value: '42' },
      { op: 'add', path: '/metadata/finalizers', value: [FINALIZER] },
    ]);
    expect(finalizerPatch({ metadata: { ...meta, finalizers: [FINALIZER] } }, []).at(-1)).toEqual({ op: 'remove', path: '/metadata/finalizers' });
  });
});

describe('writes with preconditions (real API server)', () => {
  it('adds and removes its finalizer, keeping another controller’s', async () => {
    mustOk(apply(kube, aUgj(ns, 'keeps', { count: 10, suspend: true })));
    setOthers('keeps', ['example.com/keep']);
    const fresh = getUgj(kube, ns, 'keeps')!;
    await client.setFinalizers(fresh, [...fresh.metadata.finalizers!, FINALIZER]);
    expect(getUgj(kube, ns, 'keeps')!.metadata.finalizers).toEqual(['example.com/keep', FINALIZER]);
    const now = getUgj(kube, ns, 'keeps')!;
    await client.setFinalizers(now, ['example.com/keep']);
    expect(getUgj(kube, ns, 'keeps')!.metadata.finalizers).toEqual(['example.com/keep']);
    setOthers('keeps', []);
  });

  it('refuses a finalizer write from a stale object (409): the finalizer another controller added meanwhile stays', async () => {
    mustOk(apply(kube, aUgj(ns, 'stale', { count: 10, suspend: true })));
    const stale = getUgj(kube, ns, 'stale')!; // no finalizers yet
    setOthers('stale', ['example.com/keep']);
    const err = await client.setFinalizers(stale, [FINALIZER]).catch((e: unknown) => e);
    expect(statusOf(err)).toBe(409);
    expect(getUgj(kube, ns, 'stale')!.metadata.finalizers).toEqual(['example.com/keep']);

    const withOne = getUgj(kube, ns, 'stale')!;
    setOthers('stale', ['example.com/keep', 'example.com/other']);
    expect(statusOf(await client.setFinalizers(withOne, ['example.com/keep', FINALIZER]).catch((e: unknown) => e))).toBe(409);
    expect(getUgj(kube, ns, 'stale')!.metadata.finalizers).toEqual(['example.com/keep', 'example.com/other']);
    setOthers('stale', []);
  });

  it('records a repeated Event once and counts it up, as client-go does; a different message is another Event', async () => {
    mustOk(apply(kube, aUgj(ns, 'noisy', { count: 10, suspend: true })));
    const target = eventTargetOf(getUgj(kube, ns, 'noisy')!);
    for (let i = 0; i < 3; i++) await client.recordEvent(target, 'Warning', 'Testing', 'the same thing again', 'test');
    await client.recordEvent(target, 'Warning', 'Testing', 'something else', 'test');
    const events = JSON.parse(mustOk(kubectl(kube, ['get', 'events', '-n', ns, '--field-selector', 'involvedObject.name=noisy', '-o', 'json']))) as { items: { message: string; count: number }[] };
    expect(events.items.map((e) => [e.message, e.count]).sort()).toEqual([
      ['something else', 1],
      ['the same thing again', 3],
    ]);
  });

  it('deletes only the object it read, never a same-named one created since', async () => {
    mustOk(apply(kube, aUgj(ns, 'reborn', { count: 10, suspend: true })));
    const old: UserGenerationJob = getUgj(kube, ns, 'reborn')!;
    mustOk(kubectl(kube, ['delete', 'ugj', 'reborn', '-n', ns]));
    mustOk(apply(kube, aUgj(ns, 'reborn', { count: 20, suspend: true })));
    await client.deleteJob(old);
    const now = getUgj(kube, ns, 'reborn');
    expect(now?.spec.count).toBe(20);
    expect(now?.metadata.uid).not.toBe(old.metadata.uid);
    await client.deleteJob(now!);
    expect(getUgj(kube, ns, 'reborn')).toBeNull();
  });
});
