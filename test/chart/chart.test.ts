/** The Helm chart without a cluster: lint, render, CRD drift, security, RBAC parity, values hygiene. */
import fs from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { APPS, REPO_ROOT } from '@userforge/devstack';
import { CHART, SERVER_ARGS, VALUES_FILES, WORKLOAD_KINDS, find, helm, podSpec, render, renderText, type K8sObject } from './helm';

const valuesName = (file: string) => path.relative(CHART, file);

describe.each(VALUES_FILES.map((f) => [valuesName(f), f]))('with %s', (_name, valuesFile) => {
  it('passes helm lint --strict', () => {
    const r = helm(['lint', '--strict', CHART, '--values', valuesFile]);
    expect({ code: r.code, out: r.out + r.err }).toEqual({ code: 0, out: expect.stringContaining('0 chart(s) failed') });
  });

  it('renders, every object once and named within 63 characters', () => {
    const objects = render({ valuesFile });
    expect(objects.length).toBeGreaterThan(0);
    const keys = objects.map((o) => `${o.kind}/${o.metadata.name}`);
    expect(new Set(keys).size).toBe(keys.length);
    for (const o of objects) expect([o.kind, o.metadata.name, o.metadata.name.length <= 63]).toEqual([o.kind, o.metadata.name, true]);
  });

  it('locks every container down: non-root, read-only root filesystem with a /tmp emptyDir, no escalation, no capabilities, RuntimeDefault seccomp', () => {
    const workloads = render({ valuesFile }).filter((o) => WORKLOAD_KINDS.has(o.kind));
    expect(workloads.length).toBeGreaterThan(0);
    for (const w of workloads) {
      const spec = podSpec(w);
      expect([w.metadata.name, spec.securityContext]).toEqual([
        w.metadata.name,
        expect.objectContaining({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } }),
      ]);
      for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
        const where = `${w.metadata.name}/${c.name}`;
        expect([where, c.securityContext]).toEqual([
          where,
          expect.objectContaining({
            runAsNonRoot: true,
            readOnlyRootFilesystem: true,
            allowPrivilegeEscalation: false,
            capabilities: { drop: ['ALL'] },
            seccompProfile: { type: 'RuntimeDefault' },
          }),
        ]);
        expect([where, (c.securityContext?.runAsUser as number) > 0]).toEqual([where, true]);
        const tmp = c.volumeMounts?.find((m) => m.mountPath === '/tmp');
        expect([where, tmp && spec.volumes?.find((v) => v.name === tmp.name)?.emptyDir !== undefined]).toEqual([where, true]);
        expect([where, c.resources]).toEqual([where, expect.objectContaining({ requests: expect.objectContaining({ cpu: expect.anything(), memory: expect.anything() }) })]);
        expect([where, Object.keys(c).filter((k) => k.endsWith('Probe')).sort()]).toEqual([where, expect.arrayContaining(['livenessProbe', 'readinessProbe'])]);
      }
    }
  });
});

describe('the CRD', () => {
  it('in charts/userforge/crds is byte-identical to k8s/crds (copy it again after `npm run k8s:generate`)', () => {
    const source = path.join(REPO_ROOT, 'k8s', 'crds');
    const copy = path.join(CHART, 'crds');
    expect(fs.readdirSync(copy).sort()).toEqual(fs.readdirSync(source).sort());
    for (const file of fs.readdirSync(source)) {
      expect([file, fs.readFileSync(path.join(copy, file)).equals(fs.readFileSync(path.join(source, file)))]).toEqual([file, true]);
    }
  });

  it('is installed by helm (rendered with --include-crds)', () => {
    const text = renderText();
    expect(text).not.toContain('kind: CustomResourceDefinition');
    const withCrds = helm(['template', 'userforge', CHART, '--include-crds', ...SERVER_ARGS]);
    expect(withCrds.code).toBe(0);
    expect(withCrds.out).toContain('name: usergenerationjobs.userforge.io');
  });
});

describe('the operator', () => {
  const rbacKinds = ['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding'];
  /** What RBAC grants: kind, name, namespace, rules, roleRef and subjects (labels and comments aside). */
  const grants = (objects: K8sObject[]) =>
    objects
      .filter((o) => rbacKinds.includes(o.kind))
      .map((o) => ({ kind: o.kind, name: o.metadata.name, namespace: o.metadata.namespace, rules: o.rules, roleRef: o.roleRef, subjects: o.subjects }))
      .sort((a, b) => `${a.kind}/${a.name}`.localeCompare(`${b.kind}/${b.name}`));

  it('gets exactly the RBAC of k8s/rbac/operator.yaml when released as `userforge` into `userforge`', () => {
    const reference = yaml.loadAll(fs.readFileSync(path.join(REPO_ROOT, 'k8s', 'rbac', 'operator.yaml'), 'utf8')) as K8sObject[];
    // helm template leaves namespaced objects' namespace to `helm install`; the reference names it.
    // The chart puts the release's namespace in cluster-scoped names (two releases of one name side
    // by side); k8s/rbac/ is one install, named as the config defaults say. Grants are the same.
    const rendered = render({ release: 'userforge', namespace: 'userforge' }).map((o) => {
      if (!['ClusterRole', 'ClusterRoleBinding'].includes(o.kind)) return { ...o, metadata: { ...o.metadata, namespace: 'userforge' } };
      expect(o.metadata.name).toBe('userforge-userforge-operator');
      const unprefixed = { ...o, metadata: { ...o.metadata, name: 'userforge-operator' } };
      return o.kind === 'ClusterRoleBinding' ? { ...unprefixed, roleRef: { ...(o.roleRef as object), name: 'userforge-operator' } } : unprefixed;
    });
    expect(grants(rendered)).toEqual(grants(reference));
  });

  it('is granted the consumer Deployment and the Lease it is told to use, in its release namespace', () => {
    const objects = render({ release: 'demo', namespace: 'team-a' });
    const deployment = find(objects, 'Deployment', 'demo-userforge-operator');
    const env = Object.fromEntries((podSpec(deployment).containers[0]!.env ?? []).map((e) => [e.name, e.value ?? e.valueFrom]));
    expect(env).toMatchObject({
      CONSUMER_DEPLOYMENT: 'demo-userforge-consumer',
      CONSUMER_NAMESPACE: { fieldRef: { fieldPath: 'metadata.namespace' } },
      LEASE_NAMESPACE: { fieldRef: { fieldPath: 'metadata.namespace' } },
      LEASE_NAME: 'demo-userforge-operator',
      POD_NAME: { fieldRef: { fieldPath: 'metadata.name' } },
    });
    find(objects, 'Deployment', env.CONSUMER_DEPLOYMENT as string);
    expect(podSpec(deployment).serviceAccountName).toBe('demo-userforge-operator');
    expect((deployment.spec as { replicas: number }).replicas).toBe(2);
    const role = find(objects, 'Role', 'demo-userforge-operator') as K8sObject & { rules: { resources: string[]; resourceNames?: string[] }[] };
    expect(role.rules.find((r) => r.resources.includes('deployments/scale'))?.resourceNames).toEqual(['demo-userforge-consumer']);
    expect(role.rules.find((r) => r.resources.includes('leases') && r.resourceNames)?.resourceNames).toEqual(['demo-userforge-operator']);
    for (const [kind, name] of [['RoleBinding', 'demo-userforge-operator'], ['ClusterRoleBinding', 'team-a-demo-userforge-operator']] as const) {
      expect((find(objects, kind, name) as K8sObject & { subjects: unknown[] }).subjects).toEqual([
        { kind: 'ServiceAccount', name: 'demo-userforge-operator', namespace: 'team-a' },
      ]);
    }
  });

  it('owns the consumer count: the consumer Deployment leaves `replicas` to it (and has it when the operator is off)', () => {
    const spec = (objects: K8sObject[]) => find(objects, 'Deployment', 'userforge-consumer').spec as { replicas?: number };
    expect(spec(render()).replicas).toBeUndefined();
    expect(spec(render({ set: ['operator.enabled=false', 'consumer.replicaCount=3'] })).replicas).toBe(3);
  });
});

describe('the consumer', () => {
  it("runs the consumer with the young generation the local consumers run with (NODE_OPTIONS), and without it when emptied", () => {
    type Env = { name: string; value?: string }[];
    const env = (objects: K8sObject[]) => podSpec(find(objects, 'Deployment', 'userforge-consumer')).containers[0]!.env as Env;
    expect(env(render()).find((e) => e.name === 'NODE_OPTIONS')?.value).toBe(APPS.consumer.nodeArgs.join(' '));
    expect(env(render({ set: ['consumer.nodeOptions='] })).some((e) => e.name === 'NODE_OPTIONS')).toBe(false);
  });
});

describe('helm test', () => {
  type TestPod = K8sObject & { spec: { restartPolicy: string; automountServiceAccountToken: boolean; securityContext: object; containers: { image: string; command: string[]; env: { name: string; value: string }[]; securityContext: object; volumeMounts: { mountPath: string }[] }[] } };

  it('is one locked-down Pod in the api image that checks the API through its Service and the CRD by discovery, deleted once it passed', () => {
    const objects = render({ release: 'demo', namespace: 'team-a' });
    const pod = find(objects, 'Pod', 'demo-userforge-test') as TestPod;
    expect(pod.metadata.annotations).toEqual({ 'helm.sh/hook': 'test', 'helm.sh/hook-delete-policy': 'before-hook-creation,hook-succeeded' });
    expect(pod.metadata.labels).toMatchObject({ 'app.kubernetes.io/instance': 'demo', 'app.kubernetes.io/component': 'test' });
    const [check] = pod.spec.containers;
    expect(check!.image).toBe(podSpec(find(objects, 'Deployment', 'demo-userforge-api')).containers[0]!.image);
    expect(Object.fromEntries(check!.env.map((e) => [e.name, e.value]))).toMatchObject({ API_URL: 'http://demo-userforge-api:9000', CRD_GROUP_VERSION: 'userforge.io/v1alpha1' });
    expect(check!.command.slice(0, 2)).toEqual(['node', '-e']);
    for (const path of ['/readyz', '/v1/users', "'usergenerationjobs'"]) expect(check!.command[2]).toContain(path);
    expect(pod.spec).toMatchObject({ restartPolicy: 'Never', automountServiceAccountToken: true, securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } } });
    expect(check!.securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } });
    // No RBAC of its own: discovery is open to every authenticated identity.
    expect(objects.filter((o) => o.metadata.name.endsWith('-test') && o.kind !== 'Pod')).toEqual([]);
  });

  it("is admitted by the API's NetworkPolicy, as is the dashboard's proxy", () => {
    const objects = render({ release: 'demo' });
    const policy = find(objects, 'NetworkPolicy', 'demo-userforge-api') as K8sObject & { spec: { ingress: { from: { podSelector?: { matchLabels: Record<string, string> } }[] }[] } };
    const admitted = policy.spec.ingress.flatMap((r) => r.from).map((p) => p.podSelector?.matchLabels['app.kubernetes.io/component']);
    expect(admitted).toEqual(expect.arrayContaining(['dashboard', 'test']));
    const testPod = find(objects, 'Pod', 'demo-userforge-test');
    const selector = policy.spec.ingress.flatMap((r) => r.from).find((p) => p.podSelector?.matchLabels['app.kubernetes.io/component'] === 'test')!.podSelector!.matchLabels;
    expect(testPod.metadata.labels).toMatchObject(selector);
  });
});

describe('the Ingress', () => {
  it('serves the dashboard at / and the API at /v1 and /openapi.json on one host, with SSE-friendly proxying for the API only', () => {
    const objects = render();
    const api = find(objects, 'Ingress', 'userforge-api') as K8sObject & { spec: { ingressClassName: string; rules: { host: string; http: { paths: { path: string; backend: { service: { name: string } } }[] } }[] } };
    const dashboard = find(objects, 'Ingress', 'userforge-dashboard') as typeof api;
    expect(api.spec.ingressClassName).toBe('nginx');
    expect(dashboard.spec.rules[0]!.host).toBe(api.spec.rules[0]!.host);
    expect(api.spec.rules[0]!.http.paths.map((p) => [p.path, p.backend.service.name])).toEqual(
      expect.arrayContaining([['/v1', 'userforge-api'], ['/openapi.json', 'userforge-api']]),
    );
    expect(dashboard.spec.rules[0]!.http.paths.map((p) => [p.path, p.backend.service.name])).toEqual([['/', 'userforge-dashboard']]);
    expect(api.metadata.annotations).toMatchObject({
      'nginx.ingress.kubernetes.io/proxy-buffering': 'off',
      'nginx.ingress.kubernetes.io/proxy-read-timeout': '3600',
      'nginx.ingress.kubernetes.io/proxy-send-timeout': '3600',
    });
    expect(dashboard.metadata.annotations?.['nginx.ingress.kubernetes.io/proxy-buffering']).toBeUndefined();
  });
});

describe('PodDisruptionBudgets', () => {
  it('never let an unhealthy pod block a drain (unhealthyPodEvictionPolicy: AlwaysAllow)', () => {
    const pdbs = render({ valuesFile: path.join(CHART, 'values-production.yaml') }).filter((o) => o.kind === 'PodDisruptionBudget');
    expect(pdbs).toHaveLength(4);
    for (const pdb of pdbs) expect([pdb.metadata.name, (pdb.spec as { unhealthyPodEvictionPolicy: string }).unhealthyPodEvictionPolicy]).toEqual([pdb.metadata.name, 'AlwaysAllow']);
  });
});

describe('the development Redis', () => {
  it('caps its data below its memory limit (a full Redis refuses writes instead of being OOM-killed) and evicts nothing', () => {
    const redis = find(render({ set: ['devServers.redis.enabled=true'] }), 'StatefulSet', 'userforge-dev-redis');
    const container = podSpec(redis).containers[0]!;
    const command = container.command as string[];
    const arg = (flag: string) => command[command.indexOf(flag) + 1];
    const mebibytes = (q: string, unit: RegExp) => Number(unit.exec(q)?.[1]);
    const maxmemory = mebibytes(arg('--maxmemory')!, /^(\d+)mb$/); // Redis' mb is 1024 * 1024 bytes
    const limit = mebibytes((container.resources as { limits: { memory: string } }).limits.memory, /^(\d+)Mi$/);
    expect(maxmemory).toBeGreaterThan(0);
    // Room above the data for Redis' own buffers and the append-only file's rewrite.
    expect(maxmemory).toBeLessThanOrEqual(limit * 0.8);
    expect(arg('--maxmemory-policy')).toBe('noeviction');
  });
});

describe('secrets', () => {
  const apiEnv = (objects: K8sObject[]) =>
    Object.fromEntries((podSpec(find(objects, 'Deployment', 'userforge-api')).containers[0]!.env ?? []).map((e) => [e.name, e.value ?? e.valueFrom]));

  it('MongoDB and Redis URLs come from Secrets: the chart’s own, or existing ones', () => {
    const own = render();
    expect(apiEnv(own)).toMatchObject({
      MONGO_URL: { secretKeyRef: { name: 'userforge-connections', key: 'mongodb-url' } },
      REDIS_URL: { secretKeyRef: { name: 'userforge-connections', key: 'redis-url' } },
    });
    expect(Object.keys((find(own, 'Secret', 'userforge-connections') as K8sObject & { stringData: object }).stringData).sort()).toEqual(['mongodb-url', 'redis-url']);
    const existing = render({ set: ['mongodb.existingSecret=servers', 'mongodb.existingSecretKey=mongo', 'redis.existingSecret=servers', 'redis.existingSecretKey=redis'] });
    expect(apiEnv(existing)).toMatchObject({
      MONGO_URL: { secretKeyRef: { name: 'servers', key: 'mongo' } },
      REDIS_URL: { secretKeyRef: { name: 'servers', key: 'redis' } },
    });
    expect(existing.filter((o) => o.kind === 'Secret')).toEqual([]);
  });

  it('the API key, when on, comes from an existing Secret or one the chart generates', () => {
    expect(apiEnv(render()).API_KEY).toBeUndefined();
    const generated = render({ set: ['apiKey.enabled=true'] });
    expect(apiEnv(generated).API_KEY).toEqual({ secretKeyRef: { name: 'userforge-api-key', key: 'api-key' } });
    const secret = find(generated, 'Secret', 'userforge-api-key') as K8sObject & { data: Record<string, string> };
    expect(Buffer.from(secret.data['api-key']!, 'base64').toString().length).toBeGreaterThanOrEqual(16);
    const existing = render({ set: ['apiKey.enabled=true', 'apiKey.existingSecret=mine', 'apiKey.existingSecretKey=token'] });
    expect(apiEnv(existing).API_KEY).toEqual({ secretKeyRef: { name: 'mine', key: 'token' } });
    expect(existing.find((o) => o.metadata.name === 'userforge-api-key')).toBeUndefined();
  });
});

describe('the dashboard', () => {
  const env = (objects: K8sObject[]) => Object.fromEntries((podSpec(find(objects, 'Deployment', 'demo-userforge-dashboard')).containers[0]!.env ?? []).map((e) => [e.name, e.value]));
  type Policy = K8sObject & { spec: { egress: { to?: { podSelector?: { matchLabels: Record<string, string> } }[]; ports: { port: number }[] }[] } };

  it("passes the API's paths on to the API Service, and its NetworkPolicy lets it reach DNS and the API pods only", () => {
    const objects = render({ release: 'demo', set: ['api.port=9100'] });
    expect(env(objects)).toMatchObject({ USERFORGE_API_URL: '', USERFORGE_API_UPSTREAM: 'http://demo-userforge-api:9100' });
    find(objects, 'Service', 'demo-userforge-api');
    const egress = (find(objects, 'NetworkPolicy', 'demo-userforge-dashboard') as Policy).spec.egress;
    expect(egress.map((r) => r.ports.map((p) => p.port))).toEqual([[53, 53], [9100]]);
    expect(egress[1]!.to).toEqual([{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'userforge', 'app.kubernetes.io/instance': 'demo', 'app.kubernetes.io/component': 'api' } } }]);
  });

  it('with proxyApi off, neither proxies nor opens any connection', () => {
    const objects = render({ release: 'demo', set: ['dashboard.proxyApi=false'] });
    expect(env(objects).USERFORGE_API_UPSTREAM).toBeUndefined();
    expect((find(objects, 'NetworkPolicy', 'demo-userforge-dashboard') as Policy).spec.egress).toEqual([]);
  });
});

describe('values', () => {
  const valuesText = fs.readFileSync(path.join(CHART, 'values.yaml'), 'utf8');

  it('every value in values.yaml has a comment above it (helm-docs style `# --`)', () => {
    const lines = valuesText.split('\n');
    const uncommented: string[] = [];
    // Keys above this one, by indentation. A documented key whose value is a map (`resources`,
    // `affinity`) holds content, not more values: its nested keys need no comment of their own.
    const parents: { indent: number; documented: boolean }[] = [];
    lines.forEach((line, i) => {
      const m = /^(\s*)([^\s#-][^:]*):(?:\s|$)/.exec(line);
      if (!m) return;
      const indent = m[1]!.length;
      while (parents.length && parents[parents.length - 1]!.indent >= indent) parents.pop();
      const comment: string[] = [];
      for (let j = i - 1; j >= 0 && lines[j]!.trim().startsWith('#'); j--) comment.unshift(lines[j]!.trim());
      const documented = comment.some((c) => c.startsWith('# -- '));
      const next = lines.slice(i + 1).find((l) => l.trim() !== '' && !l.trim().startsWith('#'));
      // A group: nothing after the colon and a nested map below (a list below is a value).
      const isGroup = line.slice(m[0].length).trim() === '' && next !== undefined && next.search(/\S/) > indent && !next.trim().startsWith('-');
      if (!documented && !isGroup && !parents.some((p) => p.documented)) uncommented.push(`${i + 1}: ${line.trim()}`);
      parents.push({ indent, documented });
    });
    expect(uncommented).toEqual([]);
  });

  it('values.schema.json rejects unknown keys at every level and wrong types', () => {
    const schema = JSON.parse(fs.readFileSync(path.join(CHART, 'values.schema.json'), 'utf8')) as object;
    const open: string[] = [];
    const walk = (node: unknown, where: string) => {
      if (!node || typeof node !== 'object') return;
      const n = node as Record<string, unknown>;
      if (n.properties && n.additionalProperties !== false) open.push(where);
      for (const [k, v] of Object.entries(n)) walk(v, `${where}/${k}`);
    };
    walk(schema, '');
    expect(open).toEqual([]);
    for (const set of ['unknown=1', 'api.unknown=1', 'api.resources.requests.gpu=1', 'networkPolicy.egress.kafka.extra=1']) {
      const r = helm(['template', 'x', CHART, ...SERVER_ARGS, '--set', set]);
      expect([set, r.code, r.err]).toEqual([set, 1, expect.stringContaining('not allowed')]);
    }
    for (const set of ['api.port=http', 'operator.enabled=maybe', 'kafka.partitions=0', 'api.logLevel=loud']) {
      const r = helm(['template', 'x', CHART, ...SERVER_ARGS, '--set', set]);
      expect([set, r.code]).toEqual([set, 1]);
    }
  });

  it('without servers, the render fails naming every missing server value (never a crash loop)', () => {
    const none = helm(['template', 'x', CHART]);
    expect(none.code).toBe(1);
    for (const value of ['kafka.brokers', 'mongodb.url or mongodb.existingSecret', 'redis.url or redis.existingSecret', 'values-dev.yaml']) expect(none.err).toContain(value);
    const onlyKafka = helm(['template', 'x', CHART, '--set', 'kafka.brokers={kafka:9092}', '--set', 'redis.existingSecret=servers']);
    expect([onlyKafka.code, onlyKafka.err]).toEqual([1, expect.stringContaining('missing: mongodb.url or mongodb.existingSecret (e.g.')]);
    expect(onlyKafka.err).not.toContain('redis.url');
    // Each server given one way or another: the dev servers, Strimzi, an existing Secret.
    expect(helm(['template', 'x', CHART, '--set', 'devServers.kafka.enabled=true', '--set', 'devServers.mongodb.enabled=true', '--set', 'devServers.redis.enabled=true']).code).toBe(0);
    expect(helm(['template', 'x', CHART, '--set', 'strimzi.enabled=true', '--set', 'mongodb.existingSecret=s', '--set', 'redis.url=redis://r:6379']).code).toBe(0);
  });
});
