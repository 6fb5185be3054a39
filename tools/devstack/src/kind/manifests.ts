import yaml from 'js-yaml';
import { IMAGE_REFS } from './images';

/**
 * What the node image carries in /kind/manifests, which `kind create cluster` applies: the pod
 * network (kind's own kindnetd cannot be built here) and the `standard` StorageClass.
 */

/** Every image of the node, named under one repository so kubeadm's `imageRepository` finds them. */
export const IMAGE_REPOSITORY = 'localhost/userforge';

export function nodeImageRefs(v: { kube: string; etcd: string; coredns: string; networkPolicies: string; localPath: string }) {
  return {
    apiserver: `${IMAGE_REPOSITORY}/kube-apiserver:v${v.kube}`,
    controllerManager: `${IMAGE_REPOSITORY}/kube-controller-manager:v${v.kube}`,
    scheduler: `${IMAGE_REPOSITORY}/kube-scheduler:v${v.kube}`,
    proxy: `${IMAGE_REPOSITORY}/kube-proxy:v${v.kube}`,
    etcd: `${IMAGE_REPOSITORY}/etcd:${v.etcd}`,
    // The CoreDNS image of images.ts: kubeadm names it `<repository>/coredns:<tag>`.
    coredns: IMAGE_REFS.coredns(v.coredns),
    pause: IMAGE_REFS.pause,
    busybox: IMAGE_REFS.busybox,
    networkPolicies: `${IMAGE_REPOSITORY}/kube-network-policies:v${v.networkPolicies}`,
    localPath: `${IMAGE_REPOSITORY}/local-path-provisioner:v${v.localPath}`,
  };
}
export type NodeImageRefs = ReturnType<typeof nodeImageRefs>;

/** kind templates a CNI manifest that carries this phrase with the cluster's pod subnet. */
const KIND_TEMPLATE_MARK = '# would you kindly template this file';
const POD_SUBNET = '{{ .PodSubnet }}';

/**
 * The pod network as kindnetd makes it, with Debian's CNI plugins: ptp (a veth per pod, routed by
 * the node, so every packet between pods crosses the node's netfilter hooks where policies apply),
 * host-local addresses, portmap for hostPorts. One node: the node takes the whole pod subnet.
 */
export function cniConfig(podSubnet: string): object {
  return {
    cniVersion: '0.4.0',
    name: 'userforge',
    plugins: [
      {
        type: 'ptp',
        ipMasq: true,
        mtu: 1500,
        ipam: { type: 'host-local', dataDir: '/run/cni-ipam-state', ranges: [[{ subnet: podSubnet }]], routes: [{ dst: '0.0.0.0/0' }] },
      },
      { type: 'portmap', capabilities: { portMappings: true } },
    ],
  };
}

const NS = 'kube-system';

/**
 * kube-network-policies (as its install.yaml runs it, from the local image, without NRI, which
 * containerd 1.6 lacks), with an init container that writes the CNI configuration onto the node.
 */
export function networkManifest(refs: NodeImageRefs): string {
  const labels = { app: 'kube-network-policies', 'k8s-app': 'kube-network-policies', tier: 'node' };
  const objects = [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'kube-network-policies' },
      rules: [
        { apiGroups: [''], resources: ['pods', 'namespaces', 'nodes'], verbs: ['list', 'watch'] },
        { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: ['list', 'watch'] },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'kube-network-policies' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'kube-network-policies' },
      subjects: [{ kind: 'ServiceAccount', name: 'kube-network-policies', namespace: NS }],
    },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'kube-network-policies', namespace: NS } },
    {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'kube-network-policies', namespace: NS, labels },
      spec: {
        selector: { matchLabels: { app: labels.app } },
        template: {
          metadata: { labels },
          spec: {
            hostNetwork: true,
            dnsPolicy: 'ClusterFirstWithHostNet',
            priorityClassName: 'system-node-critical',
            nodeSelector: { 'kubernetes.io/os': 'linux' },
            tolerations: [{ operator: 'Exists' }],
            serviceAccountName: 'kube-network-policies',
            initContainers: [
              {
                name: 'install-cni-config',
                image: refs.busybox,
                imagePullPolicy: 'IfNotPresent',
                command: ['sh', '-c', 'cp /config/10-userforge.conflist /etc/cni/net.d/10-userforge.conflist.tmp && mv /etc/cni/net.d/10-userforge.conflist.tmp /etc/cni/net.d/10-userforge.conflist'],
                volumeMounts: [
                  { name: 'cni-config', mountPath: '/config' },
                  { name: 'cni-net-d', mountPath: '/etc/cni/net.d' },
                ],
              },
            ],
            containers: [
              {
                name: 'kube-network-policies',
                image: refs.networkPolicies,
                imagePullPolicy: 'IfNotPresent',
                command: ['/bin/netpol', '--hostname-override=$(MY_NODE_NAME)', '--v=2', '--nfqueue-id=98', '--disable-nri'],
                env: [{ name: 'MY_NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }],
                resources: { requests: { cpu: '50m', memory: '50Mi' } },
                securityContext: { privileged: true, capabilities: { add: ['NET_ADMIN'] } },
              },
            ],
            volumes: [
              { name: 'cni-config', configMap: { name: 'userforge-cni-config' } },
              { name: 'cni-net-d', hostPath: { path: '/etc/cni/net.d', type: 'DirectoryOrCreate' } },
            ],
          },
        },
      },
    },
  ];
  const configMap = yaml.dump({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'userforge-cni-config', namespace: NS },
    data: { '10-userforge.conflist': `${JSON.stringify(cniConfig(POD_SUBNET), null, 2)}\n` },
  });
  return [`${KIND_TEMPLATE_MARK} (kind fills in the pod subnet)\n${configMap}`, ...objects.map((o) => yaml.dump(o))].join('---\n');
}

/**
 * local-path-provisioner's own deploy manifest with the local images, its volumes on the node's
 * /var (a volume kind gives every node), and its StorageClass named and defaulted as kind's is.
 */
export function storageManifest(upstream: string, refs: NodeImageRefs): string {
  const docs = yaml.loadAll(upstream).filter((d): d is Record<string, any> => typeof d === 'object' && d !== null);
  for (const d of docs) {
    if (d.kind === 'StorageClass') {
      d.metadata.name = 'standard';
      d.metadata.annotations = { ...d.metadata.annotations, 'storageclass.kubernetes.io/is-default-class': 'true' };
    }
    if (d.kind === 'Deployment') {
      for (const c of d.spec.template.spec.containers) {
        c.image = refs.localPath;
        c.imagePullPolicy = 'IfNotPresent';
      }
      d.spec.template.spec.tolerations = [{ operator: 'Exists' }];
    }
    if (d.kind === 'ConfigMap' && d.data) {
      const config = JSON.parse(d.data['config.json']);
      config.nodePathMap = [{ node: 'DEFAULT_PATH_FOR_NON_LISTED_NODES', paths: ['/var/local-path-provisioner'] }];
      d.data['config.json'] = JSON.stringify(config, null, 2);
      d.data['helperPod.yaml'] = String(d.data['helperPod.yaml']).replace(/image: \S+/, `image: ${refs.busybox}`);
    }
  }
  return docs.map((d) => yaml.dump(d)).join('---\n');
}

/**
 * The config `kind:up` runs kind with: k8s/kind-config.yaml as users run it, plus what this machine
 * needs: the API server published on the engine's veth address, and kubeadm told to take every
 * image from the local repository with the etcd and CoreDNS versions that were built.
 */
export function localKindConfig(base: string, o: { apiServerAddress: string; apiServerPort: number; refs: NodeImageRefs }): string {
  const config = yaml.load(base) as Record<string, any>;
  const tag = (ref: string) => ref.slice(ref.lastIndexOf(':') + 1);
  const patch = {
    kind: 'ClusterConfiguration',
    imageRepository: IMAGE_REPOSITORY,
    etcd: { local: { imageRepository: IMAGE_REPOSITORY, imageTag: tag(o.refs.etcd) } },
    dns: { imageRepository: IMAGE_REPOSITORY, imageTag: tag(o.refs.coredns) },
  };
  config.networking = { ...config.networking, apiServerAddress: o.apiServerAddress, apiServerPort: o.apiServerPort };
  config.kubeadmConfigPatches = [...(config.kubeadmConfigPatches ?? []), yaml.dump(patch)];
  return `# Generated by scripts/kind (npm run kind:up) from k8s/kind-config.yaml; do not edit.\n${yaml.dump(config)}`;
}
