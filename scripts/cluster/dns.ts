import { createHash } from 'node:crypto';
import { Resolver } from 'node:dns/promises';
import { IMAGE_REFS } from './images';
import { CLUSTER_DNS_IP, CLUSTER_DOMAIN, type ClusterSettings } from './settings';

/**
 * Cluster DNS: CoreDNS as a Deployment in kube-system behind the `kube-dns` Service at
 * CLUSTER_DNS_IP, the address the kubelet writes into every pod's resolv.conf.
 */

const labels = { 'k8s-app': 'kube-dns' };

/**
 * No `forward` (and so no `loop` check, which queries upstream): a name outside the cluster gets a
 * quick NXDOMAIN (not SERVFAIL, which stops some resolvers' search lists), and no query ever leaves
 * the machine.
 */
const COREFILE = `${CLUSTER_DOMAIN} in-addr.arpa ip6.arpa {
    errors
    health :8080
    ready :8181
    kubernetes ${CLUSTER_DOMAIN} in-addr.arpa ip6.arpa {
        pods insecure
        ttl 30
    }
    prometheus :9153
    cache 30
    reload
}
. {
    errors
    template ANY ANY {
        rcode NXDOMAIN
    }
}
`;

/** The objects `cluster:up` applies, as one `List` (kubectl applies it like a multi-document file). */
export function corednsManifest(version: string): object {
  const ns = 'kube-system';
  const meta = (name: string) => ({ name, namespace: ns, labels });
  const dnsPorts = [
    { name: 'dns', port: 53, protocol: 'UDP' },
    { name: 'dns-tcp', port: 53, protocol: 'TCP' },
  ];
  return {
    apiVersion: 'v1',
    kind: 'List',
    items: [
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta('coredns') },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: 'system:coredns', labels },
        rules: [
          { apiGroups: [''], resources: ['endpoints', 'services', 'pods', 'namespaces'], verbs: ['list', 'watch'] },
          { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list', 'watch'] },
        ],
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: 'system:coredns', labels },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:coredns' },
        subjects: [{ kind: 'ServiceAccount', name: 'coredns', namespace: ns }],
      },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('coredns'), data: { Corefile: COREFILE } },
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: meta('coredns'),
        spec: {
          replicas: 1,
          selector: { matchLabels: labels },
          template: {
            // A changed Corefile rolls the pod, rather than waiting for the ConfigMap volume to catch up.
            metadata: { labels, annotations: { 'userforge.local/corefile-sha256': createHash('sha256').update(COREFILE).digest('hex') } },
            spec: {
              serviceAccountName: 'coredns',
              priorityClassName: 'system-cluster-critical',
              // CoreDNS itself must not ask CoreDNS.
              dnsPolicy: 'Default',
              containers: [
                {
                  name: 'coredns',
                  image: IMAGE_REFS.coredns(version),
                  // Built and imported by cluster:up; there is no registry to pull from.
                  imagePullPolicy: 'Never',
                  args: ['-conf', '/etc/coredns/Corefile'],
                  ports: [
                    { name: 'dns', containerPort: 53, protocol: 'UDP' },
                    { name: 'dns-tcp', containerPort: 53, protocol: 'TCP' },
                    { name: 'metrics', containerPort: 9153, protocol: 'TCP' },
                  ],
                  resources: { requests: { cpu: '50m', memory: '30Mi' }, limits: { memory: '128Mi' } },
                  volumeMounts: [{ name: 'config', mountPath: '/etc/coredns', readOnly: true }],
                  livenessProbe: { httpGet: { path: '/health', port: 8080 }, initialDelaySeconds: 10, periodSeconds: 10 },
                  readinessProbe: { httpGet: { path: '/ready', port: 8181 }, periodSeconds: 2 },
                },
              ],
              volumes: [{ name: 'config', configMap: { name: 'coredns' } }],
            },
          },
        },
      },
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { ...meta('kube-dns'), labels: { ...labels, 'kubernetes.io/name': 'CoreDNS' } },
        spec: {
          selector: labels,
          clusterIP: CLUSTER_DNS_IP,
          ports: [...dnsPorts, { name: 'metrics', port: 9153, protocol: 'TCP' }],
        },
      },
    ],
  };
}

/**
 * Asks the cluster DNS, from the host, through the Service IP (so kube-proxy's rules, the bridge
 * and CoreDNS all take part), from the node's own address.
 */
export async function checkClusterDns(c: ClusterSettings, name = `kubernetes.default.svc.${CLUSTER_DOMAIN}`): Promise<string[]> {
  const resolver = new Resolver({ timeout: 1_500, tries: 1 });
  resolver.setLocalAddress(c.USERFORGE_CLUSTER_ADDRESS);
  resolver.setServers([CLUSTER_DNS_IP]);
  const answer = await resolver.resolve4(name);
  if (answer.length === 0) throw new Error(`no A record for ${name}`);
  return answer;
}
