import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { stopProcess } from '../stack/procs';
import { StackError } from '../stack/stack';
import { kubepodsCgroups } from './host';
import { ctr } from './containerd';
import { clusterPaths, type ClusterSettings } from './settings';

function ip(args: string[]): { ok: boolean; out: string } {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}`.trim() };
}

/**
 * The node's own address on an interface of its own: traffic between the host, the API server and
 * pods stays on addresses the project made, never on the machine's network interface. A `dummy`
 * interface where the kernel has that driver, else an empty bridge (local addresses work the same).
 */
export function ensureNodeAddress(c: ClusterSettings): void {
  const dev = c.USERFORGE_CLUSTER_INTERFACE;
  const addr = c.USERFORGE_CLUSTER_ADDRESS;
  const holders = ip(['-o', '-4', 'addr', 'show'])
    .out.split('\n')
    .filter((l) => l.includes(` ${addr}/`))
    .map((l) => l.split(/\s+/)[1]!);
  const foreign = holders.filter((h) => h !== dev);
  if (foreign.length > 0) {
    throw new StackError(`${addr} is already an address of ${foreign.join(', ')}; pick a free one with USERFORGE_CLUSTER_ADDRESS=<ip>.`);
  }
  if (!fs.existsSync(`/sys/class/net/${dev}`)) {
    const dummy = ip(['link', 'add', dev, 'type', 'dummy']);
    const r = dummy.ok ? dummy : ip(['link', 'add', dev, 'type', 'bridge']);
    if (!r.ok) throw new StackError(`ip link add ${dev} failed (dummy: ${dummy.out}; bridge: ${r.out}); the node needs root`);
  } else if (holders.length === 0 && !/\b(dummy|bridge) /.test(ip(['-d', 'link', 'show', dev]).out)) {
    // An interface of that name that is not ours: do not take it over.
    throw new StackError(`interface ${dev} exists and is not a dummy or bridge; pick another name with USERFORGE_CLUSTER_INTERFACE.`);
  }
  if (holders.length === 0) {
    const r = ip(['addr', 'add', `${addr}/32`, 'dev', dev]);
    if (!r.ok) throw new StackError(`ip addr add ${addr}/32 dev ${dev} failed: ${r.out}`);
  }
  ip(['link', 'set', dev, 'up']);
}

/** Process ids of a cgroup tree (every controller lists the same tasks; one is enough). */
function cgroupProcs(dir: string): number[] {
  const here = (() => {
    try {
      return fs.readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
    } catch {
      return [];
    }
  })();
  const children = fs.readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory());
  return [...here, ...children.flatMap((d) => cgroupProcs(path.join(dir, d.name)))];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Ends every pod of the node while containerd still runs: its tasks are killed and deleted, so
 * the shims exit and unmount the root filesystems. Must run after the kubelet has stopped, or it
 * would start them again.
 */
export async function removePods(c: ClusterSettings, log: (m: string) => void): Promise<void> {
  const ns = ['-n', 'k8s.io'];
  const tasks = ctr(c, [...ns, 'tasks', 'ls', '-q']);
  if (!tasks.ok) return;
  const ids = tasks.out.split('\n').filter(Boolean);
  if (ids.length > 0) log(`stopping ${ids.length} pod containers`);
  for (const id of ids) ctr(c, [...ns, 'tasks', 'kill', '--signal', 'SIGKILL', id]);
  // containerd's CRI plugin deletes a task itself when it exits; delete what it has not within 10 s.
  const left = () => ctr(c, [...ns, 'tasks', 'ls', '-q']).out.split('\n').filter(Boolean);
  for (let i = 0; i < 100 && left().length > 0; i++) await sleep(100);
  for (const id of left()) ctr(c, [...ns, 'tasks', 'delete', '--force', id]);
  for (const id of ctr(c, [...ns, 'containers', 'ls', '-q']).out.split('\n').filter(Boolean)) ctr(c, [...ns, 'containers', 'rm', id]);
}

/**
 * What survives containerd: its shims (found by our socket in their command line) and any process
 * still in a `kubepods` cgroup the kubelet made (not present before `cluster:up`).
 */
export async function killLeftovers(c: ClusterSettings, newCgroups: string[], log: (m: string) => void): Promise<void> {
  const sock = clusterPaths(c).containerdSocket;
  const shims = fs
    .readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number)
    .filter((pid) => {
      try {
        const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
        return path.basename(argv[0]!).startsWith('containerd-shim') && argv.includes(sock);
      } catch {
        return false;
      }
    });
  for (const pid of shims) {
    log(`stopping leftover containerd shim (pid ${pid})`);
    await stopProcess(pid, sock, 5_000);
  }
  for (const cg of kubepodsCgroups().filter((x) => newCgroups.includes(x))) {
    for (const pid of cgroupProcs(cg)) {
      try {
        process.kill(pid, 'SIGKILL');
        log(`killed leftover pod process ${pid}`);
      } catch {
        /* already gone */
      }
    }
  }
}
