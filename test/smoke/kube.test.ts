import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { AppsV1Api, CoreV1Api, KubeConfig, type V1Deployment } from '@kubernetes/client-node';
import { testKube } from '@userforge/testkit';

const run = promisify(execFile);

/** Polls `probe` until it returns a value, or fails with the last reason after `timeoutMs`. */
async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 45_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** A Deployment whose pods can never run (there is no node yet): the control plane still creates them. */
function aDeployment(name: string, opts: { replicas?: number } = {}): V1Deployment {
  const labels = { app: name };
  return {
    metadata: { name, labels },
    spec: {
      replicas: opts.replicas ?? 2,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: { containers: [{ name: 'app', image: 'userforge.local/never-pulled:1', imagePullPolicy: 'Never' }] },
      },
    },
  };
}

describe('Kubernetes control plane (real kube-apiserver and kube-controller-manager)', () => {
  const { kubeconfig, kubectl, version } = testKube();
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  const namespace = `smoke-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    await core.createNamespace({ body: { metadata: { name: namespace } } });
  });
  afterAll(async () => {
    await core.deleteNamespace({ name: namespace }).catch(() => undefined);
  });

  it('turns a Deployment into a ReplicaSet and its Pods, and garbage-collects them by owner reference', async () => {
    const deployment = await apps.createNamespacedDeployment({ namespace, body: aDeployment('web', { replicas: 2 }) });

    const replicaSet = await eventually('the ReplicaSet', async () => {
      const list = await apps.listNamespacedReplicaSet({ namespace });
      return list.items.find((rs) => rs.metadata?.ownerReferences?.some((o) => o.uid === deployment.metadata?.uid));
    });
    expect(replicaSet.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'Deployment', name: 'web', controller: true });
    expect(replicaSet.spec?.replicas).toBe(2);

    const pods = await eventually('2 Pods', async () => {
      const list = await core.listNamespacedPod({ namespace });
      const owned = list.items.filter((p) => p.metadata?.ownerReferences?.some((o) => o.uid === replicaSet.metadata?.uid));
      return owned.length === 2 ? owned : undefined;
    });
    // No node exists, so nothing schedules them.
    expect(pods.map((p) => p.status?.phase)).toEqual(['Pending', 'Pending']);

    await apps.deleteNamespacedDeployment({ name: 'web', namespace, propagationPolicy: 'Background' });
    await eventually('the garbage collector to delete the ReplicaSet and its Pods', async () => {
      const [sets, left] = await Promise.all([apps.listNamespacedReplicaSet({ namespace }), core.listNamespacedPod({ namespace })]);
      return sets.items.length === 0 && left.items.length === 0 ? true : undefined;
    });
  });

  it('answers our own kubectl, which reports the same release as the server', async () => {
    const { stdout } = await run(kubectl, ['--kubeconfig', kubeconfig, 'version', '-o', 'json']);
    const v = JSON.parse(stdout) as { clientVersion: { gitVersion: string }; serverVersion: { gitVersion: string } };
    expect(v.serverVersion.gitVersion).toBe(`v${version}`);
    expect(v.clientVersion.gitVersion).toBe(`v${version}`);
    expect(version).toMatch(/^1\.33\.\d+$/);

    const { stdout: text } = await run(kubectl, ['--kubeconfig', kubeconfig, 'version']);
    expect(text).toContain(`Server Version: v${version}`);
  });
});
