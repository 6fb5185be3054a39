import { running, scaleStep } from '../src/controller/scaler';
import type { Deployment } from '../src/k8s/client';
import { cacheKeyOf } from '../src/k8s/informer';
import { aResource } from './fixtures';

const deployment = (replicas: number | undefined, resourceVersion = '7', extra: Partial<Deployment['metadata']> = {}): Deployment => ({
  metadata: { name: 'userforge-consumer', namespace: 'ns', uid: 'u-1', resourceVersion, ...extra },
  spec: replicas === undefined ? {} : { replicas },
});

describe('scaleStep (pure): what the consumer scaler does about the Deployment its watch shows', () => {
  it('waits until both caches are listed: nothing is known before', () => {
    expect(scaleStep({ synced: false, deployment: deployment(1), want: 3 })).toEqual({ do: 'wait' });
    expect(scaleStep({ synced: false, deployment: undefined, want: 3 })).toEqual({ do: 'wait' });
  });

  it('says a Deployment that is not there (or is being deleted) is missing', () => {
    expect(scaleStep({ synced: true, deployment: undefined, want: 3 })).toEqual({ do: 'missing' });
    expect(scaleStep({ synced: true, deployment: deployment(1, '7', { deletionTimestamp: '2026-12-06T00:00:00Z' }), want: 3 })).toEqual({ do: 'missing' });
  });

  it('does nothing at the number wanted', () => {
    expect(scaleStep({ synced: true, deployment: deployment(3), want: 3 })).toEqual({ do: 'nothing' });
    // No replicas in the spec: the API server's default, 1.
    expect(scaleStep({ synced: true, deployment: deployment(undefined), want: 1 })).toEqual({ do: 'nothing' });
  });

  it('scales from the number shown, on condition of the version shown, with the uid for the Event', () => {
    expect(scaleStep({ synced: true, deployment: deployment(1, '7'), want: 3 })).toEqual({ do: 'scale', from: 1, to: 3, resourceVersion: '7', uid: 'u-1' });
    // Someone ran `kubectl scale` to a wrong number: put back.
    expect(scaleStep({ synced: true, deployment: deployment(5, '9'), want: 3, scaledFrom: '7' })).toEqual({ do: 'scale', from: 5, to: 3, resourceVersion: '9', uid: 'u-1' });
  });

  it('never scales twice from one version (its write not shown by the watch yet): one change, one patch, one Event', () => {
    expect(scaleStep({ synced: true, deployment: deployment(1, '7'), want: 3, scaledFrom: '7' })).toEqual({ do: 'nothing' });
    expect(scaleStep({ synced: true, deployment: deployment(1, '7'), want: 2, scaledFrom: '7' })).toEqual({ do: 'nothing' });
  });
});

describe('running (pure)', () => {
  it('counts the resources at work or about to be: not suspended, not deleted, not finished', () => {
    const at = (name: string, o: Parameters<typeof aResource>[0] = {}) => aResource({ ...o, meta: { ...o.meta, name } });
    const names = running([
      at('new'),
      at('publishing', { status: { state: 'Publishing' } }),
      at('running', { status: { state: 'Running' } }),
      at('done', { status: { state: 'Succeeded' } }),
      at('suspended', { spec: { suspend: true } }),
      at('deleted', { meta: { deletionTimestamp: '2026-12-06T00:00:00Z' } }),
    ]).map((r) => r.metadata.name);
    expect(names).toEqual(['new', 'publishing', 'running']);
  });
});

describe('cacheKeyOf (pure)', () => {
  it('keys a namespaced object namespace/name and a cluster-scoped one by its name', () => {
    expect(cacheKeyOf({ metadata: { name: 'a', namespace: 'ns' } })).toBe('ns/a');
    expect(cacheKeyOf({ metadata: { name: 'node-1' } })).toBe('node-1');
  });
});
