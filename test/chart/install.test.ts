/**
 * `helm install`, `helm upgrade` and `helm uninstall` of the chart into the test suite's real
 * control plane (etcd, kube-apiserver, kube-controller-manager; test/global-setup.ts). There is no
 * node, so pods stay Pending — but the API server admits every object (and every Pod the
 * ReplicaSet controller creates, in a namespace enforcing the `restricted` Pod Security Standard),
 * and the controllers act on them: that is what these tests prove. Pods running for real are the
 * end-to-end test's business.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import yaml from 'js-yaml';
import { CHART, SERVER_ARGS, createRestrictedNamespace, helm, kubectl, mustOk, type K8sObject, type Run } from './helm';
import { testKube, waitUntil } from '@userforge/testkit';

const RUN = `${process.pid}`;
const ns = `chart-install-${RUN}`;
const release = `inst${RUN}`;
const selector = `app.kubernetes.io/instance=${release}`;

const helmIn = (args: string[]): Run => helm([...args, '--namespace', ns, '--kubeconfig', testKube().kubeconfig]);

interface Listed<T> {
  items: T[];
}
interface ReplicaSet {
  metadata: { name: string; ownerReferences?: { kind: string; name: string }[] };
  spec: { replicas: number };
  status: { replicas?: number };
}
interface Deployment {
  metadata: { name: string };
  spec: { replicas: number };
  status: { observedGeneration?: number };
  generation?: number;
}

const list = <T>(what: string): T[] => (JSON.parse(mustOk(kubectl(['get', what, '--namespace', ns, '-l', selector, '-o', 'json']), `list ${what}`)) as Listed<T>).items;

/** ReplicaSets by the Deployment that owns them. */
function replicaSetsByDeployment(): Map<string, ReplicaSet[]> {
  const byOwner = new Map<string, ReplicaSet[]>();
  for (const rs of list<ReplicaSet>('replicasets')) {
    const owner = rs.metadata.ownerReferences?.find((o) => o.kind === 'Deployment')?.name ?? '(none)';
    byOwner.set(owner, [...(byOwner.get(owner) ?? []), rs]);
  }
  return byOwner;
}

const manifestObjects = (): K8sObject[] =>
  yaml.loadAll(mustOk(helmIn(['get', 'manifest', release]), 'helm get manifest')).filter((o): o is K8sObject => !!o && typeof o === 'object');

const apiKeyOf = (secret: string): string => mustOk(kubectl(['get', 'secret', secret, '--namespace', ns, '-o', 'jsonpath={.data.api-key}']), 'read the API key');

beforeAll(() => {
  createRestrictedNamespace(ns);
});

afterAll(() => {
  helmIn(['uninstall', release]);
  kubectl(['delete', 'namespace', ns, '--ignore-not-found', '--wait=false']);
});

describe('helm install, upgrade and uninstall against a real API server', () => {
  let deployments: string[] = [];

  it('refuses values the schema rejects, and creates nothing', () => {
    const r = helmIn(['install', `bad${RUN}`, CHART, '--set', 'api.replicaCount=-1', '--set', 'api.no_such_value=1']);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/values don't meet the specifications of the schema/);
    expect(r.err).toMatch(/replicaCount/);
    expect(r.err).toMatch(/no_such_value/);
    expect(mustOk(helmIn(['list', '--all', '-q']), 'helm list')).not.toContain(`bad${RUN}`);
  });

  it('refuses an install that names no servers, saying which values are missing, and creates nothing', () => {
    const r = helmIn(['install', `bare${RUN}`, CHART]);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/values are missing: kafka\.brokers .*mongodb\.url or mongodb\.existingSecret .*redis\.url or redis\.existingSecret/);
    expect(mustOk(helmIn(['list', '--all', '-q']), 'helm list')).not.toContain(`bare${RUN}`);
  });

  it('install creates every object of the manifest, and each Deployment gets a ReplicaSet whose pods the API server admits', async () => {
    const installed = mustOk(helmIn(['install', release, CHART, ...SERVER_ARGS, '--set', 'apiKey.enabled=true']), 'helm install');
    // NOTES.txt: what was installed and the next steps, with this release's names.
    for (const line of [
      `is installed as release ${release} in namespace ${ns}`,
      'Kafka:   external, kafka:9092',
      `kubectl -n ${ns} port-forward svc/${release}-userforge-dashboard 4200:80`,
      `helm test ${release} -n ${ns}`,
      `kubectl -n ${ns} apply -f k8s/samples/user-generation-job.yaml`,
      `kubectl -n ${ns} get ugj -w`,
      '--reset-then-reuse-values',
    ]) expect([line, installed.includes(line)]).toEqual([line, true]);
    const objects = manifestObjects();
    expect(objects.length).toBeGreaterThan(20);
    for (const o of objects) {
      const got = kubectl(['get', `${o.kind}/${o.metadata.name}`, '--namespace', ns, '-o', 'name']);
      expect([o.kind, o.metadata.name, got.code]).toEqual([o.kind, o.metadata.name, 0]);
    }
    deployments = objects.filter((o) => o.kind === 'Deployment').map((o) => o.metadata.name).sort();
    expect(deployments).toEqual(['api', 'consumer', 'dashboard', 'operator'].map((c) => `${release}-userforge-${c}`));
    const wanted = new Map(list<Deployment>('deployments').map((d) => [d.metadata.name, d.spec.replicas]));

    // kube-controller-manager's Deployment and ReplicaSet controllers: one ReplicaSet per
    // Deployment, and as many Pods created (so admitted under the restricted standard) as wanted.
    await waitUntil(
      async () => replicaSetsByDeployment(),
      (byOwner) => deployments.every((d) => byOwner.get(d)?.length === 1 && byOwner.get(d)?.[0]?.status.replicas === wanted.get(d)),
      90_000,
    );
    const pods = JSON.parse(mustOk(kubectl(['get', 'pods', '--namespace', ns, '-l', selector, '-o', 'json']), 'list pods')) as Listed<unknown>;
    expect(pods.items).toHaveLength([...wanted.values()].reduce((a, b) => a + b, 0));
  });

  it("helm test's check passes against this API server (the CRD by discovery, with the namespace's ServiceAccount token) and a ready API, and fails otherwise", async () => {
    // The hook Pod's own script and environment, run here: there is no node to run the Pod on.
    const hooks = yaml.loadAll(mustOk(helmIn(['get', 'hooks', release]), 'helm get hooks')) as (K8sObject & { spec: { containers: { command: string[]; env: { name: string; value: string }[] }[] } })[];
    const pod = hooks.find((h) => h?.kind === 'Pod' && h.metadata.annotations?.['helm.sh/hook'] === 'test');
    expect(pod?.metadata.name).toBe(`${release}-userforge-test`);
    const [check] = pod!.spec.containers;
    const podEnv = Object.fromEntries(check!.env.map((e) => [e.name, e.value]));
    expect(podEnv.API_URL).toBe(`http://${release}-userforge-api:9000`);

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'userforge-helm-test-'));
    const api = { ready: 200 };
    const server = http.createServer((req, res) => {
      if (req.url === '/readyz') res.writeHead(api.ready).end();
      else if (req.url?.startsWith('/v1/users')) res.writeHead(200, { 'content-type': 'application/json' }).end('{"data":[],"total":0}');
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      fs.writeFileSync(path.join(dir, 'token'), mustOk(kubectl(['create', 'token', 'default', '--namespace', ns]), 'create a token'));
      const config = JSON.parse(mustOk(kubectl(['config', 'view', '--raw', '--minify', '-o', 'json']), 'read the kubeconfig')) as {
        clusters: { cluster: { server: string; 'certificate-authority-data'?: string; 'certificate-authority'?: string } }[];
      };
      const cluster = config.clusters[0]!.cluster;
      const ca = path.join(dir, 'ca.crt');
      if (cluster['certificate-authority-data']) fs.writeFileSync(ca, Buffer.from(cluster['certificate-authority-data'], 'base64'));
      else fs.copyFileSync(cluster['certificate-authority']!, ca);
      const apiServer = new URL(cluster.server);
      const runCheck = (env: Record<string, string>) =>
        new Promise<{ code: number | null; out: string }>((resolve) => {
          const child = spawn(process.execPath, ['-e', check!.command[2]!], {
            env: {
              PATH: process.env.PATH,
              ...podEnv,
              API_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
              KUBERNETES_SERVICE_HOST: apiServer.hostname,
              KUBERNETES_SERVICE_PORT: apiServer.port || '443',
              NODE_EXTRA_CA_CERTS: ca,
              SERVICE_ACCOUNT_DIR: dir,
              ...env,
            },
          });
          let out = '';
          child.stdout.on('data', (d: Buffer) => (out += d.toString()));
          child.stderr.on('data', (d: Buffer) => (out += d.toString()));
          child.on('exit', (code) => resolve({ code, out }));
        });

      const passed = await runCheck({});
      expect(passed).toEqual({ code: 0, out: expect.stringContaining('ok the cluster serves usergenerationjobs.userforge.io') });
      expect(passed.out).toContain('is ready and lists users');
      const noCrd = await runCheck({ CRD_GROUP_VERSION: 'userforge.io/v9' });
      expect(noCrd).toEqual({ code: 1, out: expect.stringContaining('FAIL the cluster does not serve usergenerationjobs.userforge.io') });
      api.ready = 503;
      expect(await runCheck({})).toEqual({ code: 1, out: expect.stringMatching(/FAIL http:\/\/127\.0\.0\.1:\d+\/readyz answered 503/) });
    } finally {
      server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('upgrade with changed values rolls the pod template, keeps the generated API key and records a revision', async () => {
    const apiSecret = `${release}-userforge-api-key`;
    const keyBefore = apiKeyOf(apiSecret);
    expect(Buffer.from(keyBefore, 'base64').toString()).toMatch(/^[A-Za-z0-9]{40}$/);

    mustOk(helmIn(['upgrade', release, CHART, '--reset-then-reuse-values', '--set', 'api.replicaCount=3', '--set', 'api.logLevel=debug']), 'helm upgrade');
    const api = `${release}-userforge-api`;
    // A changed pod template (LOG_LEVEL) makes a second ReplicaSet; the new one is scaled to 3.
    await waitUntil(
      async () => replicaSetsByDeployment().get(api) ?? [],
      (rss) => rss.length === 2 && rss.some((rs) => rs.spec.replicas === 3),
      90_000,
    );
    const deployment = JSON.parse(mustOk(kubectl(['get', 'deployment', api, '--namespace', ns, '-o', 'json']), 'get the api')) as {
      spec: { replicas: number; template: { spec: { containers: { env?: { name: string; value?: string }[] }[] } } };
    };
    expect(deployment.spec.replicas).toBe(3);
    expect(deployment.spec.template.spec.containers[0]?.env).toContainEqual({ name: 'LOG_LEVEL', value: 'debug' });
    // The other Deployments' pod templates did not change: still one ReplicaSet each.
    const byOwner = replicaSetsByDeployment();
    for (const d of deployments.filter((n) => n !== api)) expect([d, byOwner.get(d)?.length]).toEqual([d, 1]);

    expect(apiKeyOf(apiSecret)).toBe(keyBefore);
    const history = JSON.parse(mustOk(helmIn(['history', release, '-o', 'json']), 'helm history')) as { revision: number; status: string }[];
    expect(history.map((h) => [h.revision, h.status])).toEqual([
      [1, 'superseded'],
      [2, 'deployed'],
    ]);
  });

  it('upgrade to a newer chart that adds a value: --reset-then-reuse-values takes its default and keeps what was set; --reuse-values does not', () => {
    // The newer chart: this one plus a required value with a default, used by the api's pod template.
    const newer = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'userforge-chart-')), 'userforge');
    fs.cpSync(CHART, newer, { recursive: true });
    try {
      fs.appendFileSync(path.join(newer, 'values.yaml'), '\n# -- A value a newer chart adds.\naddedByNewerChart: added-default\n');
      const schemaFile = path.join(newer, 'values.schema.json');
      const schema = JSON.parse(fs.readFileSync(schemaFile, 'utf8')) as { properties: Record<string, unknown>; required?: string[] };
      schema.properties.addedByNewerChart = { type: 'string', minLength: 1 };
      schema.required = [...(schema.required ?? []), 'addedByNewerChart'];
      fs.writeFileSync(schemaFile, JSON.stringify(schema, null, 2));
      const deploymentFile = path.join(newer, 'templates', 'api-deployment.yaml');
      const deployment = fs.readFileSync(deploymentFile, 'utf8');
      const withValue = deployment.replace(/^(\s+)- name: LOG_LEVEL$/m, '$1- name: ADDED_BY_NEWER_CHART\n$1  value: {{ .Values.addedByNewerChart | quote }}\n$&');
      expect(withValue).not.toBe(deployment);
      fs.writeFileSync(deploymentFile, withValue);

      // --reuse-values reuses the old chart's defaults too, so the new value is missing.
      const reused = helmIn(['upgrade', release, newer, '--reuse-values', '--set', 'api.logLevel=info']);
      expect([reused.code, reused.err]).toEqual([1, expect.stringContaining('addedByNewerChart')]);

      mustOk(helmIn(['upgrade', release, newer, '--reset-then-reuse-values', '--set', 'api.logLevel=info']), 'helm upgrade --reset-then-reuse-values');
      const values = JSON.parse(mustOk(helmIn(['get', 'values', release, '--all', '-o', 'json']), 'helm get values')) as {
        addedByNewerChart: string;
        apiKey: { enabled: boolean };
        api: { replicaCount: number; logLevel: string };
        kafka: { brokers: string[] };
      };
      expect(values).toMatchObject({ addedByNewerChart: 'added-default', apiKey: { enabled: true }, api: { replicaCount: 3, logLevel: 'info' }, kafka: { brokers: ['kafka:9092'] } });
      const env = JSON.parse(mustOk(kubectl(['get', 'deployment', `${release}-userforge-api`, '--namespace', ns, '-o', 'jsonpath={.spec.template.spec.containers[0].env}']), 'get the api env')) as { name: string; value?: string }[];
      expect(env).toEqual(expect.arrayContaining([{ name: 'ADDED_BY_NEWER_CHART', value: 'added-default' }, { name: 'LOG_LEVEL', value: 'info' }]));
      const history = JSON.parse(mustOk(helmIn(['history', release, '-o', 'json']), 'helm history')) as { revision: number; status: string }[];
      expect(history.at(-1)).toMatchObject({ revision: 3, status: 'deployed' });
    } finally {
      fs.rmSync(path.dirname(newer), { recursive: true, force: true });
    }
  });

  it('uninstall leaves nothing of the release behind (the CRD stays, as Helm does with crds/)', async () => {
    const clusterScoped = manifestObjects().filter((o) => o.kind.startsWith('Cluster')).map((o) => `${o.kind.toLowerCase()}/${o.metadata.name}`);
    expect(clusterScoped.length).toBeGreaterThan(0);
    mustOk(helmIn(['uninstall', release, '--wait', '--timeout', '2m']), 'helm uninstall');

    const kinds = 'deployments,replicasets,pods,services,configmaps,secrets,serviceaccounts,roles,rolebindings,poddisruptionbudgets,networkpolicies,ingresses,horizontalpodautoscalers';
    await waitUntil(async () => mustOk(kubectl(['get', kinds, '--namespace', ns, '-l', selector, '-o', 'name']), 'list leftovers').trim(), (left) => left === '', 90_000);
    // Not by label only: nothing named after the release either (a Lease the operator would have made, a stray Secret).
    const all = mustOk(kubectl(['get', `${kinds},leases`, '--namespace', ns, '-o', 'name']), 'list the namespace');
    expect(all.split('\n').filter((n) => n.includes(release))).toEqual([]);
    for (const o of clusterScoped) expect([o, kubectl(['get', o, '-o', 'name']).code]).toEqual([o, 1]);
    expect(kubectl(['get', 'crd', 'usergenerationjobs.userforge.io', '-o', 'name']).code).toBe(0);
    expect(mustOk(helmIn(['list', '--all', '-q']), 'helm list')).not.toContain(release);
  });
});
