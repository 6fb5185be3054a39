import path from 'node:path';
import { z } from 'zod';
import { env, loadConfig } from '@userforge/platform';
import { loadStackSettings, stackPaths } from '../stack/settings';
import { clusterShape, loadClusterSettings } from '../cluster/settings';

const version = (fallback: string) => z.string().regex(/^v?\d+\.\d+\.\d+$/, 'expected a release such as 1.2.3').default(fallback).transform((v) => v.replace(/^v/, ''));
/** The cluster's checks for an address and an interface name, with this set-up's defaults. */
const ipv4 = (fallback: string) => clusterShape.USERFORGE_CLUSTER_ADDRESS.unwrap().default(fallback);
const ifname = (fallback: string) => clusterShape.USERFORGE_CLUSTER_INTERFACE.unwrap().default(fallback);

/**
 * `npm run kind:*`: kind on a Docker engine of the project's own, run in a network namespace of its
 * own, reached from the host through a veth pair with addresses of the project's own.
 */
export const kindShape = {
  /** The engine's data, the cluster's kubeconfig, logs; default `<stack dir>/kind`. */
  USERFORGE_KIND_DIR: z.string().optional(),
  USERFORGE_KIND_VERSION: version('0.33.0'),
  /** The host end of the veth pair to the engine's namespace, and its address (a /30 with the engine's). */
  USERFORGE_KIND_HOST_INTERFACE: ifname('uf-kind0'),
  USERFORGE_KIND_HOST_ADDRESS: ipv4('10.214.0.1'),
  /** The engine's end: the API server and the node's ports 80/443 are published here. */
  USERFORGE_KIND_ENGINE_ADDRESS: ipv4('10.214.0.2'),
  USERFORGE_KIND_APISERVER_PORT: env.port(6443),
  /** etcd, built from its Go module (the 3.5.x kubeadm 1.33 asks for is not always served). */
  USERFORGE_KIND_ETCD_VERSION: version('3.5.23'),
  /** NetworkPolicy enforcement (the node has no kindnetd): sigs.k8s.io/kube-network-policies. */
  USERFORGE_KIND_NETWORK_POLICIES_VERSION: version('0.8.0'),
  /** The `standard` StorageClass: rancher's local-path-provisioner. */
  USERFORGE_KIND_LOCAL_PATH_VERSION: version('0.0.30'),
  /** How long `kind:up` waits for the node and kube-system to be ready. */
  USERFORGE_KIND_READY_TIMEOUT_S: z.coerce.number().int().min(30).default(600),
};

export type KindSettings = ReturnType<typeof loadKindSettings>;

export function loadKindSettings(source: Record<string, string | undefined> = process.env) {
  const stack = loadStackSettings(source);
  const k = loadConfig(kindShape, source);
  // The node runs the cluster's CoreDNS build (scripts/cluster), so its version setting is shared.
  const cluster = loadClusterSettings(source);
  return { ...k, stack, cluster, dir: k.USERFORGE_KIND_DIR ?? path.join(stack.USERFORGE_STACK_DIR, 'kind') };
}

/** Everything `kind:*` writes outside the cache, in the stack's layout (`logs`, `run`, `data`, `conf`). */
export function kindPaths(k: KindSettings) {
  const p = stackPaths({ ...k.stack, USERFORGE_STACK_DIR: k.dir });
  return {
    ...p,
    /** The engine's images and containers; kept by `kind:down` so the next `kind:up` reuses the node image. */
    dataRoot: path.join(p.data, 'engine'),
    /** The engine's runtime state: its socket, pid file, managed containerd. */
    execRoot: p.run,
    socket: path.join(p.run, 'docker.sock'),
    pidFile: path.join(p.run, 'dockerd.pid'),
    kubeconfig: path.join(p.kube, 'kubeconfig'),
    /** The config kind is run with: k8s/kind-config.yaml plus what this machine needs. */
    config: path.join(p.conf, 'kind-config.yaml'),
  };
}

/** Where provisioning caches what it builds (binaries, image archives), per version. */
export const kindCache = (k: KindSettings, name: string) => path.join(k.stack.USERFORGE_CACHE_DIR, name);
