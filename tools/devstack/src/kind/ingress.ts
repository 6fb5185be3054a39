/**
 * The ingress controller of `kind:up`: Traefik, built from its Go module (ingress-nginx is nginx with
 * Lua modules, which cannot be built here), serving the Ingresses of IngressClass `traefik`. As kind's
 * ingress guide does with ingress-nginx, its pod takes HTTP on a hostPort of the node labelled
 * ingress-ready, whose port kind maps. Traefik passes Server-Sent Events on as they are written (it
 * flushes a `text/event-stream` response at once) and sets no timeout on a response, so the chart's
 * nginx-only annotations have no counterpart here.
 */
export const INGRESS_NAMESPACE = 'traefik';
export const INGRESS_CLASS = 'traefik';
/** The controller's pods (NetworkPolicies name them as the peer that may reach a release). */
export const INGRESS_POD_LABELS = { 'app.kubernetes.io/name': 'traefik', 'app.kubernetes.io/part-of': 'userforge-cluster' };
const labels = INGRESS_POD_LABELS;
/** Inside the pod; the hostPort maps the node's port to it. An unprivileged port: no capability needed. */
const WEB_PORT = 8000;

export interface TraefikOptions {
  image: string;
  /** The node's port Traefik takes HTTP on. */
  hostPort: number;
  /** Where clients reach the Ingresses: written into each Ingress's status. */
  publishedAddress: string;
  /** Nodes the controller may run on (kind: the node labelled ingress-ready, whose ports are mapped). */
  nodeSelector?: Record<string, string>;
}

/** Traefik as a Deployment whose pod takes HTTP on a hostPort, with its RBAC and IngressClass, as one `List`. */
export function traefikManifest(o: TraefikOptions): object {
  const ns = INGRESS_NAMESPACE;
  const meta = (name: string) => ({ name, namespace: ns, labels });
  const ping = { httpGet: { path: '/ping', port: WEB_PORT } };
  return {
    apiVersion: 'v1',
    kind: 'List',
    items: [
      // No Pod Security label: `baseline` and `restricted` refuse a hostPort, which this pod needs;
      // its container is locked down by its own securityContext below.
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels } },
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta('traefik') },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: 'userforge-cluster:traefik', labels },
        // What Traefik's Kubernetes Ingress provider watches, and the Ingress status it writes.
        rules: [
          { apiGroups: [''], resources: ['services', 'secrets', 'nodes'], verbs: ['get', 'list', 'watch'] },
          { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list', 'watch'] },
          { apiGroups: ['networking.k8s.io'], resources: ['ingresses', 'ingressclasses'], verbs: ['get', 'list', 'watch'] },
          { apiGroups: ['networking.k8s.io'], resources: ['ingresses/status'], verbs: ['update'] },
        ],
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: 'userforge-cluster:traefik', labels },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'userforge-cluster:traefik' },
        subjects: [{ kind: 'ServiceAccount', name: 'traefik', namespace: ns }],
      },
      {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'IngressClass',
        metadata: { name: INGRESS_CLASS, labels },
        spec: { controller: 'traefik.io/ingress-controller' },
      },
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: meta('traefik'),
        spec: {
          replicas: 1,
          // One pod holds the hostPort: the old one must let go before the new one starts.
          strategy: { type: 'Recreate' },
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: {
              serviceAccountName: 'traefik',
              ...(o.nodeSelector ? { nodeSelector: o.nodeSelector } : {}),
              securityContext: { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, seccompProfile: { type: 'RuntimeDefault' } },
              containers: [
                {
                  name: 'traefik',
                  image: o.image,
                  // Built here and loaded into the node; there is no registry to pull from.
                  imagePullPolicy: 'Never',
                  args: [
                    `--entryPoints.web.address=:${WEB_PORT}`,
                    '--providers.kubernetesingress=true',
                    `--providers.kubernetesingress.ingressClass=${INGRESS_CLASS}`,
                    // `kubectl get ingress` shows where the Ingresses are served.
                    `--providers.kubernetesingress.ingressEndpoint.ip=${o.publishedAddress}`,
                    '--ping=true',
                    '--ping.entryPoint=web',
                    '--log.level=INFO',
                    // Nothing leaves the machine.
                    '--global.checkNewVersion=false',
                    '--global.sendAnonymousUsage=false',
                  ],
                  ports: [{ name: 'web', containerPort: WEB_PORT, hostPort: o.hostPort, protocol: 'TCP' }],
                  securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
                  resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } },
                  readinessProbe: { ...ping, periodSeconds: 2 },
                  livenessProbe: { ...ping, initialDelaySeconds: 10, periodSeconds: 10 },
                },
              ],
            },
          },
        },
      },
    ],
  };
}
