/**
 * The operator's RBAC, declared once: exactly what KubeClient and the leader Lease use (least
 * privilege). `npm run k8s:generate` renders it into k8s/rbac/operator.yaml and the chart's
 * templates/_operator-rules.tpl; test/k8s/rbac.test.ts fails when either is stale.
 */
import { RESOURCE } from '../api/v1alpha1/user-generation-job.types';

/** An object granted by name; each install names it its own way (k8s/rbac: the config defaults; the chart: the release's). */
export type GrantedObject = 'consumerDeployment' | 'lease';

export interface OperatorRule {
  apiGroups: string[];
  resources: string[];
  resourceNames?: GrantedObject[];
  verbs: string[];
  /** Why the rule is as wide as it is, when that is not plain; rendered as a comment above it. */
  why?: string;
}

export interface OperatorRole {
  /** What the role is for; rendered as a comment above it. */
  about: string;
  rules: OperatorRule[];
}

/** Cluster-wide (a ClusterRole). */
export const OPERATOR_CLUSTER_ROLE: OperatorRole = {
  about:
    'UserGenerationJobs can live in any namespace: watch them, write their status and finalizer, delete\n' +
    'them when their TTL runs out, and record Events about them (a repeated one counted up: patch).',
  rules: [
    { apiGroups: [RESOURCE.group], resources: [RESOURCE.plural], verbs: ['get', 'list', 'watch', 'patch', 'delete'] },
    { apiGroups: [RESOURCE.group], resources: [`${RESOURCE.plural}/status`], verbs: ['patch'] },
    { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
  ],
};

/** In the operator's own namespace (a Role). */
export const OPERATOR_NAMESPACE_ROLE: OperatorRole = {
  about:
    'In its own namespace: watch the consumer Deployment and scale it (its scale subresource only: no\n' +
    'other write to it, no other Deployment), and hold the leader Lease.',
  rules: [
    {
      apiGroups: ['apps'],
      resources: ['deployments'],
      resourceNames: ['consumerDeployment'],
      verbs: ['list', 'watch'],
      why: 'A list or watch is limited to the name by its `fieldSelector=metadata.name=…`, which the operator sends.',
    },
    { apiGroups: ['apps'], resources: ['deployments/scale'], resourceNames: ['consumerDeployment'], verbs: ['patch'] },
    {
      apiGroups: ['coordination.k8s.io'],
      resources: ['leases'],
      verbs: ['create'],
      why: '`create` cannot be limited to a name (the object does not exist yet when it is checked).',
    },
    { apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: ['lease'], verbs: ['get', 'update'] },
  ],
};
