import path from 'node:path';
import { z } from 'zod';
import { env, loadConfig } from '@userforge/platform';
import { loadStackSettings, stackPaths } from '../stack/settings';

const version = (fallback: string) => z.string().regex(/^v?\d+\.\d+\.\d+$/, 'expected a release such as 1.2.3').default(fallback).transform((v) => v.replace(/^v/, ''));
const ipv4 = (fallback: string) => z.ipv4().default(fallback);
/** Linux interface names are at most 15 characters. */
const ifname = (fallback: string) => z.string().regex(/^[a-z][a-z0-9-]{0,14}$/, 'expected an interface name of at most 15 characters').default(fallback);

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
  /** CoreDNS, built from its Go module for the node's cluster DNS (kind/images.ts). */
  USERFORGE_COREDNS_VERSION: version('1.14.7'),
  /**
   * Traefik, built from its Go module: the ingress controller (IngressClass `traefik`). 3.7 replaces
   * a module with a fork version the Go module proxy does not serve; 3.6 builds.
   */
  USERFORGE_TRAEFIK_VERSION: z.string().regex(/^v?3\.\d+\.\d+$/, 'expected a Traefik 3.x release such as 3.6.12').default('3.6.12').transform((v) => v.replace(/^v/, '')),
  /** How long `kind:up` waits for the node and kube-system to be ready. */
  USERFORGE_KIND_READY_TIMEOUT_S: z.coerce.number().int().min(30).default(600),
};

export type KindSettings = ReturnType<typeof loadKindSettings>;

export function loadKindSettings(source: Record<string, string | undefined> = process.env) {
  const stack = loadStackSettings(source);
  const k = loadConfig(kindShape, source);
  return { ...k, stack, dir: k.USERFORGE_KIND_DIR ?? path.join(stack.USERFORGE_STACK_DIR, 'kind') };
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
