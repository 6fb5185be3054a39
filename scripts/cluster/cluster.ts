import fs from 'node:fs';
import { httpsGet } from '../stack/kube/health';
import { tokenOf } from '../stack/kube/pki';
import { provisionEtcd, provisionKubernetes, provisionOpenssl } from '../stack/kube/provision';
import { kubeconfigPath, kubePki } from '../stack/kube/servers';
import { isPortFree } from '../stack/procs';
import type { ProcessDef } from '../stack/servers';
import { StackError, down, status, up, type ProcessStatus } from '../stack/stack';
import { applyList } from './apply';
import { checkClusterDns, corednsManifest } from './dns';
import { ensureHostRecord, hostDrift, kubepodsCgroups, mountsUnder, readHostRecord, restoreHost, writeSysctl } from './host';
import { provisionImages } from './images';
import { checkIngress, ingressManifest, ingressOrigin } from './ingress';
import { ensureNodeAddress, killLeftovers, removePods } from './network';
import { ctr } from './containerd';
import { clusterDefs } from './node';
import { nodeTools } from './tools';
import { clusterPaths, controlPlaneSettings, type ClusterSettings } from './settings';

type Log = (m: string) => void;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const adminKubeconfig = (c: ClusterSettings) => kubeconfigPath(controlPlaneSettings(c));
const ownInterfaces = (c: ClusterSettings) => [c.USERFORGE_CLUSTER_INTERFACE, c.USERFORGE_CLUSTER_BRIDGE];
const allDefs = (c: ClusterSettings): ProcessDef[] => {
  const d = clusterDefs(c);
  return [...d.controlPlane, d.containerd, ...d.node];
};

/** Everything `up` needs from the machine and the cache; the first run builds Kubernetes, CoreDNS, Traefik and the images. */
export function provisionCluster(c: ClusterSettings, log: Log) {
  if (process.getuid?.() !== 0) throw new StackError('the cluster needs root: it adds a network interface, runs containers and sets kernel tunables.');
  const tools = nodeTools(c);
  provisionEtcd();
  provisionOpenssl();
  const kube = provisionKubernetes(c.stack, log);
  const images = provisionImages(c, log);
  return { tools, kube, images };
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      return await probe();
    } catch (err) {
      last = err;
      await sleep(500);
    }
  }
  throw new StackError(`${what} not within ${timeoutMs / 1000}s: ${(last as Error)?.message ?? 'no answer'}`);
}

/** The node's Ready condition, read from the API server. */
export async function checkNodeReady(c: ClusterSettings): Promise<void> {
  const cs = controlPlaneSettings(c);
  const pki = kubePki(cs);
  const res = await httpsGet(
    `https://${c.USERFORGE_CLUSTER_ADDRESS}:${c.USERFORGE_CLUSTER_APISERVER_PORT}/api/v1/nodes/${c.USERFORGE_CLUSTER_NODE_NAME}`,
    { caCert: pki.caCert, token: tokenOf(pki, 'admin') },
  );
  if (res.status !== 200) throw new Error(`node ${c.USERFORGE_CLUSTER_NODE_NAME} not registered (${res.status})`);
  const conditions = (JSON.parse(res.body) as { status?: { conditions?: { type: string; status: string; message?: string }[] } }).status?.conditions ?? [];
  const ready = conditions.find((x) => x.type === 'Ready');
  if (ready?.status !== 'True') throw new Error(`node not Ready: ${ready?.message ?? 'no Ready condition yet'}`);
}

/** Before the host is touched: every port of a process that is not running yet must be free. */
async function checkPorts(c: ClusterSettings): Promise<void> {
  const defs = allDefs(c);
  const rows = await status(controlPlaneSettings(c), defs);
  for (const [i, row] of rows.entries()) {
    if (row.state !== 'stopped') continue;
    for (const [j, port] of defs[i]!.ports.entries()) {
      if (!(await isPortFree(port))) {
        throw new StackError(
          `${row.name}: port ${port} is already in use by a process this cluster did not start. ` +
            `Stop that process, or pick another port with ${defs[i]!.portVars[j]}=<port>.`,
        );
      }
    }
  }
}

/** Provisions once, records the host, then starts the control plane, containerd, the images, the node, CoreDNS and the ingress controller. */
export async function clusterUp(c: ClusterSettings, log: Log): Promise<void> {
  const t0 = Date.now();
  const at = (m: string) => log(`${m} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  const { kube, images } = provisionCluster(c, log);
  at('provisioned');
  await checkPorts(c);
  const p = clusterPaths(c);
  const cs = controlPlaneSettings(c);
  fs.mkdirSync(p.root, { recursive: true, mode: 0o700 });
  const recorded = fs.existsSync(p.hostRecord);
  ensureHostRecord(p.hostRecord, p.root);
  log(`host state ${recorded ? 'as recorded before the first up' : 'recorded'}: ${p.hostRecord}`);
  ensureNodeAddress(c);
  // Pods reach Services and each other through the host: forwarding on, and bridged traffic seen
  // by iptables (kube-proxy's DNAT replies must be un-NATed on the bridge). Restored by down.
  writeSysctl('net.ipv4.ip_forward', '1');
  writeSysctl('net.bridge.bridge-nf-call-iptables', '1');
  const defs = clusterDefs(c);
  await up(cs, [...defs.controlPlane, defs.containerd], log);
  at('control plane and containerd up');
  for (const image of images) {
    const r = ctr(c, ['-n', 'k8s.io', 'images', 'import', '--no-unpack=false', image.file], 120_000);
    if (!r.ok) throw new StackError(`importing ${image.ref} into containerd failed: ${r.out.trim()}`);
  }
  at(`images imported: ${images.map((i) => i.ref).join(', ')}`);
  await up(cs, defs.node, log);
  await until('node Ready', 90_000, () => checkNodeReady(c));
  at(`node ${c.USERFORGE_CLUSTER_NODE_NAME} Ready`);
  const kubectl = kube.bin('kubectl');
  applyList(kubectl, adminKubeconfig(c), 'CoreDNS', corednsManifest(c.USERFORGE_COREDNS_VERSION));
  await until('CoreDNS answering', 120_000, () => checkClusterDns(c));
  at('CoreDNS answers');
  applyList(kubectl, adminKubeconfig(c), 'the ingress controller', ingressManifest(c));
  await until('the ingress controller answering', 120_000, () => checkIngress(c));
  at(`ingress controller (Traefik) answers at ${ingressOrigin(c)}`);
}

/** Each process's own health, then what only the whole answers: node Ready, DNS through the Service, the ingress through its hostPort. */
export async function clusterStatus(c: ClusterSettings): Promise<ProcessStatus[]> {
  const cs = controlPlaneSettings(c);
  const rows = await status(cs, allDefs(c));
  const check = async (name: string, probe: () => Promise<unknown>, detail: (v: unknown) => string): Promise<ProcessStatus> => {
    try {
      return { name, ports: [], state: 'healthy', detail: detail(await probe()) };
    } catch (err) {
      return { name, ports: [], state: 'unhealthy', detail: (err as Error).message };
    }
  };
  rows.push(await check('node', () => checkNodeReady(c), () => `${c.USERFORGE_CLUSTER_NODE_NAME} Ready`));
  rows.push(await check('cluster-dns', () => checkClusterDns(c), (a) => `kubernetes.default.svc.cluster.local -> ${(a as string[]).join(',')}`));
  rows.push(await check('ingress', () => checkIngress(c), () => `Traefik at ${ingressOrigin(c)}`));
  return rows;
}

/**
 * Stops only what the cluster started (pid files, checked against each command line), pods
 * first, then puts the host back as recorded before the first `up`.
 */
export async function clusterDown(c: ClusterSettings, log: Log): Promise<string[]> {
  const p = clusterPaths(c);
  const cs = controlPlaneSettings(c);
  const defs = clusterDefs(c);
  const record = readHostRecord(p.hostRecord);
  await down(cs, defs.node, log);
  await removePods(c, log);
  await down(cs, [defs.containerd], log);
  await killLeftovers(c, record ? kubepodsCgroups().filter((x) => !record.cgroups.includes(x)) : [], log);
  await down(cs, defs.controlPlane, log);
  if (!record) {
    log('no host record: the host was not changed by a cluster:up of this directory');
    return [];
  }
  const report = restoreHost(record, p.root, ownInterfaces(c));
  for (const d of report.done) log(`restored: ${d}`);
  for (const problem of report.problems) log(`could not restore: ${problem}`);
  const drift = hostDrift(record, p.root, ownInterfaces(c));
  if (report.problems.length === 0 && drift.length === 0) {
    fs.rmSync(p.hostRecord);
    // Pods are gone: their addresses are free again.
    fs.rmSync(p.cniIpam, { recursive: true, force: true });
  } else {
    log(`host record kept in ${p.hostRecord}; still different: ${drift.join('; ') || 'see above'}`);
  }
  return drift;
}

/** down, then delete the cluster's directory (refused while anything is still mounted in it). */
export async function clusterReset(c: ClusterSettings, log: Log): Promise<void> {
  const p = clusterPaths(c);
  await clusterDown(c, log);
  const mounts = mountsUnder(p.root);
  if (mounts.length > 0) throw new StackError(`still mounted under ${p.root}, not deleting it:\n${mounts.join('\n')}`);
  fs.rmSync(p.root, { recursive: true, force: true });
  log(`removed ${p.root}`);
}
