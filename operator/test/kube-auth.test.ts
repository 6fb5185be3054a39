import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import yaml from 'js-yaml';
import { testEnv, testKube, testMongoUrl } from '@userforge/testkit';
import { KubeClient } from '../src/k8s/client';
import { loadKubeConfig } from '../src/k8s/rest';
import { aUgj, apply, createNamespace, installCrd, kubectl, mustOk } from '@userforge/devstack';

jest.setTimeout(120_000);

/**
 * The operator's connection comes from @kubernetes/client-node's KubeConfig: a user that is an
 * `exec` credential plugin (as EKS, GKE and AKS kubeconfigs have) authenticates against the real
 * API server, and a kubeconfig that names no current context stops the operator with a message.
 */
const ns = `auth-${process.pid}`;
let kube: ReturnType<typeof testKube>;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uf-auth-'));
const admin = () => yaml.load(fs.readFileSync(kube.kubeconfig, 'utf8')) as { clusters: { name: string; cluster: Record<string, string> }[] };

beforeAll(async () => {
  kube = testKube();
  await installCrd(kube);
  createNamespace(kube, ns);
  // A service account that may only read UserGenerationJobs of this namespace, and a token for it from the TokenRequest API.
  mustOk(
    apply(kube, [
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'reader', namespace: ns } },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: 'ugj-reader', namespace: ns },
        rules: [{ apiGroups: ['userforge.io'], resources: ['usergenerationjobs'], verbs: ['get', 'list', 'watch'] }],
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'ugj-reader', namespace: ns },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'ugj-reader' },
        subjects: [{ kind: 'ServiceAccount', name: 'reader', namespace: ns }],
      },
    ]),
  );
  mustOk(apply(kube, [aUgj(ns, 'seen-through-exec', { count: 100 }), aUgj(ns, 'also-seen', { count: 200 })]));
});

it('authenticates with an exec credential plugin: the plugin runs, its token is sent, the jobs are listed', async () => {
  const token = mustOk(kubectl(kube, ['create', 'token', 'reader', '-n', ns, '--duration=1h'])).trim();
  const calls = path.join(dir, 'plugin-calls');
  const plugin = path.join(dir, 'credential-plugin.sh');
  const credential = { apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: { token, expirationTimestamp: new Date(Date.now() + 3_600_000).toISOString() } };
  fs.writeFileSync(plugin, `#!/bin/sh\necho "$USERFORGE_PLUGIN_ARG" >> '${calls}'\ncat <<'JSON'\n${JSON.stringify(credential)}\nJSON\n`, { mode: 0o755 });
  const kubeconfig = path.join(dir, 'exec-kubeconfig');
  fs.writeFileSync(
    kubeconfig,
    yaml.dump({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'test', cluster: admin().clusters[0]!.cluster }],
      users: [{ name: 'plugin', user: { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: plugin, env: [{ name: 'USERFORGE_PLUGIN_ARG', value: 'called' }], interactiveMode: 'Never' } } }],
      contexts: [{ name: 'plugin', context: { cluster: 'test', user: 'plugin', namespace: ns } }],
      'current-context': 'plugin',
    }),
  );

  const client = new KubeClient(loadKubeConfig(kubeconfig), ns);
  const { items } = await client.listJobs(undefined, 1); // pages of one: `continue` is followed too
  expect(items.map((i) => i.metadata.name).sort()).toEqual(['also-seen', 'seen-through-exec']);
  // The credential is cached until it expires: one run of the plugin for three requests.
  expect(fs.readFileSync(calls, 'utf8').trim().split('\n')).toEqual(['called']);
  // The plugin's identity, not an anonymous one: what the Role does not grant is refused.
  await expect(client.readLease(ns, 'anything')).rejects.toThrow(/403.*system:serviceaccount:.*:reader/);
});

it('stops the operator at start with a clear message when the kubeconfig names no current context', () => {
  const kubeconfig = path.join(dir, 'no-context');
  const config = yaml.load(fs.readFileSync(kube.kubeconfig, 'utf8')) as Record<string, unknown>;
  delete config['current-context'];
  fs.writeFileSync(kubeconfig, yaml.dump(config));
  const { REDIS_URL, KAFKA_BROKERS } = testEnv();
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(__dirname, '..', 'src', 'main.ts')], {
    env: { ...process.env, MONGO_URL: testMongoUrl('operator_auth'), REDIS_URL, KAFKA_BROKERS, KUBECONFIG: kubeconfig, METRICS_PORT: '0', LOG_LEVEL: 'info' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  expect(r.status).not.toBe(0);
  expect(r.stdout + r.stderr).toContain(`kubeconfig ${kubeconfig}: no current-context is set; choose one with \`kubectl config use-context <name>\``);
});
