/** Decisions about a kind cluster's health, from what kubectl reports (pure). */

interface Condition {
  type: string;
  status: string;
}
export interface NodeView {
  metadata: { name: string };
  status?: { conditions?: Condition[] };
}
export interface PodView {
  metadata: { name: string; namespace?: string };
  status?: { phase?: string; conditions?: Condition[] };
}
export interface StorageClassView {
  metadata: { name: string; annotations?: Record<string, string> };
  provisioner?: string;
}

const isTrue = (conditions: Condition[] | undefined, type: string) => conditions?.some((c) => c.type === type && c.status === 'True') ?? false;

/** What still keeps the cluster from being ready; empty when it is. */
export function clusterProblems(nodes: NodeView[], pods: PodView[], classes: StorageClassView[]): string[] {
  const problems: string[] = [];
  if (nodes.length === 0) problems.push('no node has registered');
  for (const n of nodes) if (!isTrue(n.status?.conditions, 'Ready')) problems.push(`node ${n.metadata.name} is not Ready`);
  if (pods.length === 0) problems.push('no kube-system pod yet');
  for (const p of pods) {
    // A finished pod (a completed job) is fine; anything else must run and be ready.
    if (p.status?.phase === 'Succeeded') continue;
    if (p.status?.phase !== 'Running' || !isTrue(p.status?.conditions, 'Ready')) problems.push(`pod ${p.metadata.name} is ${p.status?.phase ?? 'Unknown'}${p.status?.phase === 'Running' ? ', not Ready' : ''}`);
  }
  const standard = classes.find((c) => c.metadata.name === 'standard');
  if (!standard) problems.push('no StorageClass standard');
  else if (standard.metadata.annotations?.['storageclass.kubernetes.io/is-default-class'] !== 'true') problems.push('StorageClass standard is not the default');
  return problems;
}

/** A line per node and pod, for `kind:status`. */
export function healthLines(nodes: NodeView[], pods: PodView[]): string[] {
  return [
    ...nodes.map((n) => `node ${n.metadata.name}: ${isTrue(n.status?.conditions, 'Ready') ? 'Ready' : 'NotReady'}`),
    ...pods.map((p) => `pod ${p.metadata.namespace ?? ''}/${p.metadata.name}: ${p.status?.phase ?? 'Unknown'}${isTrue(p.status?.conditions, 'Ready') ? ', Ready' : ''}`),
  ];
}
