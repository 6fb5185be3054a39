/**
 * The chart against the test suite's real kube-apiserver (test/global-setup.ts): every rendered
 * object passes a server-side dry run in a namespace that enforces the `restricted` Pod Security
 * Standard, and the operator's rendered RBAC, applied for real, allows what the operator does and
 * nothing more.
 */
import path from 'node:path';
import yaml from 'js-yaml';
import { REPO_ROOT } from '@userforge/devstack';
import { CHART, VALUES_FILES, createRestrictedNamespace, kubectl, mustOk, render, renderText, waitForCrdEstablished, type K8sObject } from './helm';

const RUN = `${process.pid}`;
const namespaces: string[] = [];
const clusterObjects: string[] = [];
const CLUSTER_SCOPED = ['ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'Namespace', 'IngressClass', 'PriorityClass'];

/** A restricted namespace, deleted after the file's tests. */
function restrictedNamespace(name: string): string {
  namespaces.push(createRestrictedNamespace(name));
  return name;
}

beforeAll(() => {
  // The CRD from the chart's crds/ (Helm installs it before the templates); cluster-wide and
  // idempotent, like operator/test/harness.ts installs the same bytes.
  const crd = path.join(CHART, 'crds', 'userforge.io_usergenerationjobs.yaml');
  mustOk(kubectl(['apply', '--server-side', '--force-conflicts', '-f', crd]), 'apply the CRD');
  waitForCrdEstablished('usergenerationjobs.userforge.io');
});

afterAll(() => {
  for (const name of clusterObjects) kubectl(['delete', name, '--ignore-not-found', '--wait=false']);
  for (const ns of namespaces) kubectl(['delete', 'namespace', ns, '--ignore-not-found', '--wait=false']);
});

it('the restricted namespaces do refuse a pod that runs as root with its defaults (so the dry runs below prove something)', () => {
  const ns = restrictedNamespace(`chart-psa-${RUN}`);
  // A new namespace's default ServiceAccount comes a moment later (its controller); a Pod needs it.
  mustOk(kubectl(['wait', '--for=create', 'serviceaccount/default', '--namespace', ns, '--timeout=60s']), 'wait for the default ServiceAccount');
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'as-root' }, spec: { containers: [{ name: 'c', image: 'userforge/api:test' }] } };
  const r = kubectl(['apply', '--dry-run=server', '--namespace', ns, '-f', '-'], yaml.dump(pod));
  expect({ code: r.code, err: r.err }).toEqual({ code: 1, err: expect.stringContaining('violates PodSecurity "restricted') });
});

describe.each(VALUES_FILES.map((f, i) => [path.relative(CHART, f), f, i] as const))('with %s', (_name, valuesFile, i) => {
  it('every rendered object passes a server-side dry run, pods within the restricted Pod Security Standard', () => {
    const ns = restrictedNamespace(`chart-dry-run-${i}-${RUN}`);
    // Namespaced objects without a namespace go to the release's (as helm install puts them); one
    // that names another (the watched namespace's Role) goes there, the namespace made first.
    const objects = yaml.loadAll(renderText({ release: 'userforge', namespace: ns, valuesFile })).filter(Boolean) as K8sObject[];
    for (const o of objects) {
      if (CLUSTER_SCOPED.includes(o.kind)) continue;
      if (!o.metadata.namespace) o.metadata.namespace = ns;
      else if (o.metadata.namespace !== ns && !namespaces.includes(o.metadata.namespace)) restrictedNamespace(o.metadata.namespace);
    }
    const manifest = objects.map((o) => yaml.dump(o)).join('---\n');
    const r = kubectl(['apply', '--dry-run=server', '-f', '-'], manifest);
    expect({ code: r.code, err: r.err }).toEqual({ code: 0, err: expect.not.stringContaining('PodSecurity') });
    expect(r.err).not.toMatch(/warning/i);
    const kinds = yaml.loadAll(manifest).filter(Boolean).length;
    expect(r.out.trim().split('\n')).toHaveLength(kinds);
    expect(r.out).not.toContain('unchanged');
  });
});

it('a sample UserGenerationJob is valid against the chart’s CRD (server-side dry run)', () => {
  const ns = restrictedNamespace(`chart-sample-${RUN}`);
  const sample = path.join(REPO_ROOT, 'k8s', 'samples', 'user-generation-job.yaml');
  expect(mustOk(kubectl(['apply', '--dry-run=server', '--namespace', ns, '-f', sample]), 'dry-run the sample')).toContain('created (server dry run)');
});

describe("the operator's RBAC, applied for real", () => {
  const release = `rbac${RUN}`;
  let ns = '';
  const sa = `${release}-userforge-operator`;
  const can = (args: string[], namespace = ns) =>
    kubectl(['auth', 'can-i', ...args, '--namespace', namespace, `--as=system:serviceaccount:${ns}:${sa}`]).out.trim();

  beforeAll(() => {
    ns = restrictedNamespace(`chart-rbac-${RUN}`);
    const rbac = render({ release, namespace: ns }).filter((o: K8sObject) => ['ServiceAccount', 'Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding'].includes(o.kind));
    expect(rbac).toHaveLength(5);
    for (const o of rbac) if (o.kind.startsWith('Cluster')) clusterObjects.push(`${o.kind.toLowerCase()}/${o.metadata.name}`);
    mustOk(kubectl(['apply', '--namespace', ns, '-f', '-'], rbac.map((o) => yaml.dump(o)).join('---\n')), 'apply the RBAC');
  });

  it('allows what the operator does', () => {
    const consumer = `deployments.apps/${release}-userforge-consumer`;
    const lease = `leases.coordination.k8s.io/${release}-userforge-operator`;
    const allowed: [string[], string?][] = [
      ...['get', 'list', 'watch', 'patch', 'delete'].map((verb): [string[], string] => [[verb, 'usergenerationjobs.userforge.io'], 'elsewhere']),
      [['list', 'usergenerationjobs.userforge.io', '--all-namespaces']],
      [['watch', 'usergenerationjobs.userforge.io', '--all-namespaces']],
      [['patch', 'usergenerationjobs.userforge.io', '--subresource=status'], 'elsewhere'],
      [['create', 'events'], 'elsewhere'],
      [['patch', 'events'], 'elsewhere'],
      [['list', consumer]],
      [['watch', consumer]],
      [['patch', consumer, '--subresource=scale']],
      [['create', 'leases.coordination.k8s.io']],
      [['get', lease]],
      [['update', lease]],
    ];
    for (const [args, where] of allowed) expect([args.join(' '), can(args, where ?? ns)]).toEqual([args.join(' '), 'yes']);
  });

  it('and nothing more', () => {
    const consumer = `deployments.apps/${release}-userforge-consumer`;
    const denied: [string[], string?][] = [
      [['create', 'usergenerationjobs.userforge.io']],
      [['update', 'usergenerationjobs.userforge.io']],
      [['get', 'secrets']],
      [['list', 'pods']],
      [['patch', consumer]],
      [['delete', consumer]],
      [['get', consumer]],
      [['list', 'deployments.apps']],
      [['watch', 'deployments.apps/someone-else']],
      [['get', consumer, '--subresource=scale']],
      [['patch', 'deployments.apps/someone-else', '--subresource=scale']],
      [['patch', consumer, '--subresource=scale'], 'elsewhere'],
      [['update', 'leases.coordination.k8s.io/someone-elses-lease']],
      [['delete', `leases.coordination.k8s.io/${release}-userforge-operator`]],
      [['create', 'leases.coordination.k8s.io'], 'elsewhere'],
      [['update', 'customresourcedefinitions.apiextensions.k8s.io']],
    ];
    for (const [args, where] of denied) expect([args.join(' '), where ?? ns, can(args, where ?? ns)]).toEqual([args.join(' '), where ?? ns, 'no']);
  });
});

describe('two releases of one name in two namespaces, and an operator watching one namespace', () => {
  const release = `twin${RUN}`;
  const sa = `${release}-userforge-operator`;
  const can = (ns: string, args: string[], namespace: string) =>
    kubectl(['auth', 'can-i', ...args, '--namespace', namespace, `--as=system:serviceaccount:${ns}:${sa}`]).out.trim();
  const applyRbac = (ns: string, set: string[] = []) => {
    const rbac = render({ release, namespace: ns, set }).filter((o: K8sObject) => ['ServiceAccount', 'Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding'].includes(o.kind));
    for (const o of rbac) if (o.kind.startsWith('Cluster')) clusterObjects.push(`${o.kind.toLowerCase()}/${o.metadata.name}`);
    // No --namespace: every namespaced object must say its own (the watched namespace's Role does).
    mustOk(kubectl(['apply', '-f', '-'], rbac.map((o) => yaml.dump({ ...o, metadata: { namespace: ns, ...o.metadata } })).join('---\n')), `apply the RBAC in ${ns}`);
    return rbac;
  };

  it('side by side: each release gets cluster-scoped objects of its own, and both operators may do their work', () => {
    const a = restrictedNamespace(`chart-twin-a-${RUN}`);
    const b = restrictedNamespace(`chart-twin-b-${RUN}`);
    const names = [applyRbac(a), applyRbac(b)].map((objs) => objs.filter((o) => o.kind.startsWith('Cluster')).map((o) => o.metadata.name));
    expect(names[0]).toHaveLength(2);
    expect(names[0]!.filter((n) => names[1]!.includes(n))).toEqual([]);
    for (const ns of [a, b]) expect([ns, can(ns, ['watch', 'usergenerationjobs.userforge.io', '--all-namespaces'], ns)]).toEqual([ns, 'yes']);
  });

  it('with operator.watchNamespace: a Role in that namespace, nothing cluster-wide', () => {
    const home = restrictedNamespace(`chart-home-${RUN}`);
    const watched = restrictedNamespace(`chart-watched-${RUN}`);
    const rbac = applyRbac(home, [`operator.watchNamespace=${watched}`]);
    expect(rbac.filter((o) => o.kind.startsWith('Cluster'))).toEqual([]);
    expect(rbac.filter((o) => o.metadata.namespace === watched).map((o) => o.kind).sort()).toEqual(['Role', 'RoleBinding']);
    for (const verb of ['list', 'watch', 'patch', 'delete']) expect([verb, can(home, [verb, 'usergenerationjobs.userforge.io'], watched)]).toEqual([verb, 'yes']);
    expect(can(home, ['create', 'events'], watched)).toBe('yes');
    expect(can(home, ['list', 'usergenerationjobs.userforge.io', '--all-namespaces'], watched)).toBe('no');
    expect(can(home, ['get', 'usergenerationjobs.userforge.io'], 'elsewhere')).toBe('no');
    expect(can(home, ['create', 'events'], 'elsewhere')).toBe('no');
  });
});
