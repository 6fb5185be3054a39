import fs from 'node:fs';
import yaml from 'js-yaml';
import { operatorConfigShape } from '../../operator/src/config';
import type { GrantedObject, OperatorRole } from '../../operator/src/k8s/rbac';
import { CHART_RULES_FILE, K8S_NAMES, K8S_RBAC_FILE, ROLES, renderChartRules, renderK8sRbac } from '@userforge/devstack';
import { find, render, type K8sObject } from '../chart/helm';

/** What a role grants, straight from operator/src/k8s/rbac.ts, its granted objects named by `names`. */
const declared = (role: OperatorRole, names: Record<GrantedObject, string>) =>
  role.rules.map(({ apiGroups, resources, resourceNames, verbs }) => ({
    apiGroups,
    resources,
    ...(resourceNames ? { resourceNames: resourceNames.map((o) => names[o]) } : {}),
    verbs,
  }));

const rulesOf = (objects: K8sObject[], kind: string, name: string) => (find(objects, kind, name) as K8sObject & { rules: unknown }).rules;

describe("the operator's RBAC, declared once in operator/src/k8s/rbac.ts", () => {
  it('is committed in k8s/rbac/ and the chart exactly as generated (run `npm run k8s:generate` after changing it)', () => {
    expect(fs.readFileSync(K8S_RBAC_FILE, 'utf8')).toBe(renderK8sRbac());
    expect(fs.readFileSync(CHART_RULES_FILE, 'utf8')).toBe(renderChartRules());
  });

  it.each(ROLES.map((r) => [r.kind, r.role] as const))('k8s/rbac/operator.yaml grants exactly the declared %s rules', (kind, role) => {
    const objects = yaml.loadAll(fs.readFileSync(K8S_RBAC_FILE, 'utf8')) as K8sObject[];
    expect(rulesOf(objects, kind, K8S_NAMES.operator)).toEqual(declared(role, K8S_NAMES));
  });

  it.each([
    ['userforge', 'userforge'],
    ['demo', 'team-a'],
  ])('helm template (release %s in %s) grants exactly the declared rules, with the release names', (release, namespace) => {
    const objects = render({ release, namespace });
    const prefix = release === 'userforge' ? 'userforge' : `${release}-userforge`;
    const names = { consumerDeployment: `${prefix}-consumer`, lease: `${prefix}-operator` };
    // Cluster-scoped: the release's namespace is in the name (two releases of one name side by side).
    const nameOf = (kind: string) => (kind === 'ClusterRole' ? `${namespace}-${prefix}-operator` : `${prefix}-operator`);
    for (const { kind, role } of ROLES) expect([kind, rulesOf(objects, kind, nameOf(kind))]).toEqual([kind, declared(role, names)]);
  });

  it("k8s/rbac names what the operator uses by default (operator/src/config.ts)", () => {
    expect({ consumerDeployment: operatorConfigShape.CONSUMER_DEPLOYMENT.parse(undefined), lease: operatorConfigShape.LEASE_NAME.parse(undefined) }).toEqual({
      consumerDeployment: K8S_NAMES.consumerDeployment,
      lease: K8S_NAMES.lease,
    });
  });
});
