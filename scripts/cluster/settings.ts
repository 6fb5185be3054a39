import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { env, loadConfig } from '@userforge/platform';
import { loadStackSettings, stackPaths, type StackSettings } from '../stack/settings';

const ipv4 = (fallback: string) => z.ipv4().default(fallback);
const cidr = (fallback: string) => z.string().regex(/^\d+\.\d+\.\d+\.\d+\/\d+$/, 'expected an IPv4 range such as 10.244.0.0/24').default(fallback);
/** Linux interface names are at most 15 characters. */
const ifname = (fallback: string) => z.string().regex(/^[a-z][a-z0-9-]{0,14}$/, 'expected an interface name of at most 15 characters').default(fallback);

/**
 * The single-node cluster of `npm run cluster:*`. Its ports differ from the local stack's `kube`
 * servers so both can run at once; everything it writes lives in USERFORGE_CLUSTER_DIR.
 */
export const clusterShape = {
  /** State, logs and pid files of the cluster; default `<stack dir>/cluster`. */
  USERFORGE_CLUSTER_DIR: z.string().optional(),
  /**
   * The node's own address, on an interface `cluster:up` adds (dummy, or an empty bridge): the API server advertises it,
   * the kubelet registers with it, pods reach the host's servers at it. Never the machine's network.
   */
  USERFORGE_CLUSTER_ADDRESS: ipv4('10.213.0.1'),
  USERFORGE_CLUSTER_INTERFACE: ifname('uf0'),
  /** The CNI bridge between the host and the pods; its gateway is the first address of the pod range. */
  USERFORGE_CLUSTER_BRIDGE: ifname('uf-cni0'),
  USERFORGE_CLUSTER_POD_CIDR: cidr('10.244.0.0/24'),
  USERFORGE_CLUSTER_NODE_NAME: z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/).default('userforge-node'),
  USERFORGE_CLUSTER_ETCD_PORT: env.port(2479),
  USERFORGE_CLUSTER_ETCD_PEER_PORT: env.port(2480),
  USERFORGE_CLUSTER_APISERVER_PORT: env.port(6543),
  USERFORGE_CLUSTER_CONTROLLER_MANAGER_PORT: env.port(10357),
  USERFORGE_CLUSTER_SCHEDULER_PORT: env.port(10359),
  /** The kubelet's API (on the node address) and its /healthz (on loopback). */
  USERFORGE_CLUSTER_KUBELET_PORT: env.port(10250),
  USERFORGE_CLUSTER_KUBELET_HEALTHZ_PORT: env.port(10248),
  USERFORGE_CLUSTER_KUBE_PROXY_HEALTHZ_PORT: env.port(10256),
  USERFORGE_CLUSTER_KUBE_PROXY_METRICS_PORT: env.port(10249),
  /** CoreDNS, built from its Go module for the cluster's DNS. */
  USERFORGE_COREDNS_VERSION: z.string().regex(/^v?\d+\.\d+\.\d+$/).default('1.14.7').transform((v) => v.replace(/^v/, '')),
  /**
   * Traefik, built from its Go module: the node's ingress controller (IngressClass `traefik`). 3.7
   * replaces a module with a fork version the Go module proxy does not serve; 3.6 builds.
   */
  USERFORGE_TRAEFIK_VERSION: z.string().regex(/^v?3\.\d+\.\d+$/, 'expected a Traefik 3.x release such as 3.6.12').default('3.6.12').transform((v) => v.replace(/^v/, '')),
  /** The port of the node address where the ingress controller takes HTTP (a hostPort, as on kind). */
  USERFORGE_CLUSTER_INGRESS_PORT: env.port(80),
  /** Where the CNI plugins are; default: the first of the usual places that has `bridge`. */
  USERFORGE_CNI_BIN_DIR: z.string().optional(),
};

export type ClusterSettings = ReturnType<typeof loadClusterSettings>;

/** Conventional places of the CNI plugins: Debian's package, then the upstream tarball's. */
const CNI_BIN_DIRS = ['/usr/lib/cni', '/opt/cni/bin'];

export function loadClusterSettings(source: Record<string, string | undefined> = process.env) {
  const stack = loadStackSettings(source);
  const c = loadConfig(clusterShape, source);
  return {
    ...c,
    stack,
    dir: c.USERFORGE_CLUSTER_DIR ?? path.join(stack.USERFORGE_STACK_DIR, 'cluster'),
    cniBinDir: c.USERFORGE_CNI_BIN_DIR ?? CNI_BIN_DIRS.find((d) => fs.existsSync(path.join(d, 'bridge'))),
  };
}

/**
 * The cluster's control plane is the local stack's `kube` servers (etcd, kube-apiserver,
 * kube-controller-manager) run with the cluster's directory and ports: these stack settings say so.
 */
export function controlPlaneSettings(c: ClusterSettings): StackSettings {
  return {
    ...c.stack,
    USERFORGE_STACK_DIR: c.dir,
    USERFORGE_ETCD_PORT: c.USERFORGE_CLUSTER_ETCD_PORT,
    USERFORGE_ETCD_PEER_PORT: c.USERFORGE_CLUSTER_ETCD_PEER_PORT,
    USERFORGE_KUBE_APISERVER_PORT: c.USERFORGE_CLUSTER_APISERVER_PORT,
    USERFORGE_KUBE_CONTROLLER_MANAGER_PORT: c.USERFORGE_CLUSTER_CONTROLLER_MANAGER_PORT,
  };
}

/** Everything under the cluster directory. `logs`, `run`, `conf`, `data`, `kube` are the stack's layout. */
export function clusterPaths(c: ClusterSettings) {
  const p = stackPaths(controlPlaneSettings(c));
  return {
    ...p,
    /** The host settings as they were before the first `cluster:up`; `cluster:down` restores them. */
    hostRecord: path.join(p.root, 'host-record.json'),
    containerdRoot: path.join(p.data, 'containerd'),
    containerdState: path.join(p.run, 'containerd'),
    containerdSocket: path.join(p.run, 'containerd', 'containerd.sock'),
    kubeletRoot: path.join(p.data, 'kubelet'),
    podLogs: path.join(p.logs, 'pods'),
    cniConf: path.join(p.conf, 'cni'),
    cniIpam: path.join(p.data, 'cni-ipam'),
  };
}

/** The CoreDNS Service's address, in the API server's service range (10.96.0.0/12). */
export const CLUSTER_DNS_IP = '10.96.0.10';
export const CLUSTER_DOMAIN = 'cluster.local';
