import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { listChains, removeCreatedChains, type Chains } from './iptables';

/**
 * A node changes its host: the kubelet sets kernel tunables, kube-proxy and the CNI plugins add
 * iptables chains, the CNI bridge and pod namespaces appear, pods' volumes and root filesystems are
 * mounted, the kubelet makes `kubepods` cgroups. `cluster:up` records the host as it was, once,
 * before the first change; `cluster:down` puts it back and deletes the record.
 */
export interface HostRecord {
  recordedAt: string;
  /** Value of each tunable before, or null when this kernel has no such key. */
  sysctls: Record<string, string | null>;
  interfaces: string[];
  iptables: Chains;
  /** Mount points under the cluster directory (none, unless a previous run was killed). */
  mounts: string[];
  cgroups: string[];
  /** Which of FIXED_DIRS existed. */
  dirs: Record<string, boolean>;
}

/** What the kubelet (kernel.*, vm.*), kube-proxy and the CNI plugins (net.*) may change. */
export const SYSCTLS = [
  'kernel.panic',
  'kernel.panic_on_oops',
  'kernel.keys.root_maxkeys',
  'kernel.keys.root_maxbytes',
  'vm.overcommit_memory',
  'vm.panic_on_oom',
  'net.ipv4.ip_forward',
  'net.ipv4.conf.all.route_localnet',
  'net.ipv6.conf.all.forwarding',
  'net.bridge.bridge-nf-call-iptables',
  'net.bridge.bridge-nf-call-ip6tables',
  'net.bridge.bridge-nf-call-arptables',
  'net.netfilter.nf_conntrack_max',
];

/**
 * Directories the node creates whatever it is told: the kubelet's container-log links and
 * device-plugin socket, libcni's result cache, containerd's shim sockets. Removed on down when they
 * did not exist before up.
 */
export const FIXED_DIRS = ['/var/log/containers', '/var/lib/kubelet', '/var/lib/cni', '/run/containerd'];
const CGROUP_ROOT = '/sys/fs/cgroup';

const sysctlFile = (key: string) => path.join('/proc/sys', ...key.split('.'));

export function readSysctl(key: string): string | null {
  try {
    return fs.readFileSync(sysctlFile(key), 'utf8').trim();
  } catch {
    return null;
  }
}

export function writeSysctl(key: string, value: string): void {
  fs.writeFileSync(sysctlFile(key), `${value}\n`);
}

export function interfaces(): string[] {
  return fs.readdirSync('/sys/class/net');
}

/** Mount points at or under `dir`, deepest first (the order to unmount them in). */
export function mountsUnder(dir: string): string[] {
  const unescape = (p: string) => p.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  return fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => unescape(l.split(' ')[4] ?? ''))
    .filter((m) => m === dir || m.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
}

/** The `kubepods*` cgroups the kubelet makes under each cgroup v1 controller (or under the v2 root). */
export function kubepodsCgroups(): string[] {
  const roots = fs.existsSync(path.join(CGROUP_ROOT, 'cgroup.controllers'))
    ? [CGROUP_ROOT]
    : fs.readdirSync(CGROUP_ROOT).map((c) => path.join(CGROUP_ROOT, c));
  return roots.flatMap((root) => {
    try {
      return fs.readdirSync(root).filter((d) => d.startsWith('kubepods')).map((d) => path.join(root, d));
    } catch {
      return [];
    }
  });
}

export function recordHost(clusterDir: string): HostRecord {
  return {
    recordedAt: new Date().toISOString(),
    sysctls: Object.fromEntries(SYSCTLS.map((k) => [k, readSysctl(k)])),
    interfaces: interfaces(),
    iptables: listChains(),
    mounts: mountsUnder(clusterDir),
    cgroups: kubepodsCgroups(),
    dirs: Object.fromEntries(FIXED_DIRS.map((d) => [d, fs.existsSync(d)])),
  };
}

/** Writes the record unless one exists: a second `up` must not record the first one's changes as the original. */
export function ensureHostRecord(file: string, clusterDir: string): HostRecord {
  if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, 'utf8')) as HostRecord;
  const record = recordHost(clusterDir);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`);
  return record;
}

export function readHostRecord(file: string): HostRecord | undefined {
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as HostRecord) : undefined;
}

function sh(cmd: string, args: string[]): { ok: boolean; err: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return { ok: r.status === 0, err: (r.stderr ?? '').trim() };
}

/** Removes a cgroup tree bottom-up; a cgroup directory goes with rmdir once it has no children and no tasks. */
function removeCgroup(dir: string): boolean {
  for (const d of fs.readdirSync(dir, { withFileTypes: true })) if (d.isDirectory()) removeCgroup(path.join(dir, d.name));
  try {
    fs.rmdirSync(dir);
    return true;
  } catch {
    return false;
  }
}

/** What a restore did, and what it could not do (reported, never thrown: the rest still gets restored). */
export interface RestoreReport {
  done: string[];
  problems: string[];
}

/**
 * Puts the host back as `record` saw it. Call it only after every process of the node has stopped,
 * or the kubelet and kube-proxy would redo what this undoes. Undoes only what is not in the record.
 */
export function restoreHost(record: HostRecord, clusterDir: string, ownInterfaces: string[]): RestoreReport {
  const report: RestoreReport = { done: [], problems: [] };
  for (const m of mountsUnder(clusterDir).filter((x) => !record.mounts.includes(x))) {
    const r = sh('umount', [m]);
    if (r.ok || sh('umount', ['-l', m]).ok) report.done.push(`unmounted ${m}`);
    else report.problems.push(`umount ${m}: ${r.err}`);
  }
  for (const name of ownInterfaces.filter((n) => interfaces().includes(n) && !record.interfaces.includes(n))) {
    const r = sh('ip', ['link', 'delete', name]);
    if (r.ok) report.done.push(`deleted interface ${name}`);
    else report.problems.push(`ip link delete ${name}: ${r.err}`);
  }
  const chains = removeCreatedChains(record.iptables);
  if (chains.removed.length > 0) report.done.push(`deleted iptables chains ${chains.removed.join(', ')}`);
  report.problems.push(...chains.failed);
  for (const [key, value] of Object.entries(record.sysctls)) {
    if (value === null || readSysctl(key) === value) continue;
    try {
      writeSysctl(key, value);
      report.done.push(`${key} = ${value}`);
    } catch (err) {
      report.problems.push(`${key}: ${(err as Error).message}`);
    }
  }
  for (const cg of kubepodsCgroups().filter((c) => !record.cgroups.includes(c))) {
    if (removeCgroup(cg)) report.done.push(`removed cgroup ${cg}`);
    else report.problems.push(`cgroup ${cg} still has processes or children`);
  }
  for (const dir of FIXED_DIRS.filter((d) => record.dirs[d] === false && fs.existsSync(d))) {
    fs.rmSync(dir, { recursive: true, force: true });
    report.done.push(`removed ${dir}`);
  }
  return report;
}

/** The host-side differences from the record that `cluster:down` exists to undo (for status and proof). */
export function hostDrift(record: HostRecord, clusterDir: string, ownInterfaces: string[]): string[] {
  const now = recordHost(clusterDir);
  const drift: string[] = [];
  for (const [k, v] of Object.entries(record.sysctls)) if (now.sysctls[k] !== v) drift.push(`${k}: ${v} -> ${now.sysctls[k]}`);
  for (const n of ownInterfaces) if (now.interfaces.includes(n) && !record.interfaces.includes(n)) drift.push(`interface ${n}`);
  for (const [t, chains] of Object.entries(now.iptables)) {
    for (const c of chains) if (!(record.iptables[t] ?? []).includes(c)) drift.push(`iptables ${t}/${c}`);
  }
  for (const m of now.mounts) if (!record.mounts.includes(m)) drift.push(`mount ${m}`);
  for (const c of now.cgroups) if (!record.cgroups.includes(c)) drift.push(`cgroup ${c}`);
  for (const [d, existed] of Object.entries(record.dirs)) if (now.dirs[d] !== existed) drift.push(`directory ${d}`);
  return drift;
}
