import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { isOurProcess, readPid, spawnDetached, stopProcess } from '../stack/procs';
import { kindCache, kindPaths, type KindSettings } from './settings';

/**
 * The Docker engine kind runs on: Debian's dockerd, started by hand in a network and mount namespace
 * of its own (`unshare`), so its bridges, iptables rules and mounts stay in there and vanish with it.
 * A veth pair with addresses of the project's own joins it to the host; nothing else does.
 */

type Log = (m: string) => void;

/** A cgroup mount of the host, to make again in the engine's namespace (a fresh sysfs hides them). */
export interface CgroupMount {
  target: string;
  type: 'cgroup' | 'cgroup2';
  options: string;
}

/** The cgroup file systems mounted under /sys/fs/cgroup, from /proc/self/mountinfo. */
export function cgroupMounts(mountinfo: string): CgroupMount[] {
  const out: CgroupMount[] = [];
  for (const line of mountinfo.split('\n')) {
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const target = left.split(' ')[4];
    const [type, , superOptions = ''] = right.split(' ');
    if (!target?.startsWith('/sys/fs/cgroup') || (type !== 'cgroup' && type !== 'cgroup2')) continue;
    const options = superOptions.split(',').filter((o) => o !== 'rw' && o !== 'ro');
    out.push({ target, type, options: type === 'cgroup' && options.length === 0 ? 'none' : options.join(',') || 'defaults' });
  }
  return out;
}

/**
 * The shell run inside the new namespaces before dockerd: sysfs of the new network namespace (as
 * `ip netns exec` does), the host's cgroup hierarchies again on top of it (dockerd needs the devices
 * cgroup), loopback up.
 */
export function namespaceSetup(mounts: CgroupMount[]): string {
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const lines = ['set -e', 'mount -t sysfs sysfs /sys'];
  const v2Root = mounts.find((m) => m.target === '/sys/fs/cgroup' && m.type === 'cgroup2');
  if (v2Root) lines.push(`mount -t cgroup2 cgroup2 /sys/fs/cgroup`);
  else {
    lines.push('mount -t tmpfs -o mode=755 cgroup /sys/fs/cgroup');
    for (const m of mounts.filter((x) => x.target !== '/sys/fs/cgroup')) {
      lines.push(`mkdir -p ${q(m.target)}`, `mount -t ${m.type} -o ${q(m.options)} ${m.type} ${q(m.target)}`);
    }
  }
  lines.push('ip link set lo up', 'exec "$@"');
  return lines.join('\n');
}

/**
 * runc, minus CAP_SYS_RESOURCE: these machines' capability bounding set lacks it, and Docker 20.10
 * gives privileged containers (kind's nodes) every capability it knows, which runc cannot grant.
 */
export const RUNC_WRAPPER = `#!/usr/bin/env python3
# Written by userforge's scripts/kind/engine.ts: drops capabilities the bounding set lacks, then runs runc.
import json, os, sys
args = sys.argv[1:]
def bounding():
    for line in open('/proc/self/status'):
        if line.startswith('CapBnd:'):
            return int(line.split()[1], 16)
    return (1 << 64) - 1
NAMES = {'CAP_SYS_RESOURCE': 24}
def trim(caps):
    if not isinstance(caps, dict):
        return
    have = bounding()
    for key, values in caps.items():
        if isinstance(values, list):
            caps[key] = [c for c in values if c not in NAMES or have & (1 << NAMES[c])]
def edit(file, at):
    try:
        with open(file) as f:
            doc = json.load(f)
    except (OSError, ValueError):
        return
    trim(at(doc).get('capabilities'))
    with open(file, 'w') as f:
        json.dump(doc, f)
def value(flags):
    for i, a in enumerate(args):
        for flag in flags:
            if a == flag and i + 1 < len(args):
                return args[i + 1]
            if a.startswith(flag + '='):
                return a.split('=', 1)[1]
    return None
commands = [a for a in args if not a.startswith('-')]
if 'create' in args or 'run' in args:
    bundle = value(['--bundle', '-b']) or '.'
    edit(os.path.join(bundle, 'config.json'), lambda d: d.get('process') or {})
elif 'exec' in args:
    process = value(['--process', '-p'])
    if process:
        edit(process, lambda d: d)
os.execv(RUNC, [RUNC] + args)
`;

export const enginePaths = (k: KindSettings) => kindPaths(k);

/** The environment that points a docker client (and kind) at this engine. */
export function dockerEnv(k: KindSettings): { DOCKER_HOST: string } {
  return { DOCKER_HOST: `unix://${kindPaths(k).socket}` };
}

export function enginePid(k: KindSettings): number | undefined {
  const pid = readPid(kindPaths(k).pidFile);
  return pid !== undefined && isOurProcess(pid, 'dockerd') ? pid : undefined;
}

function sh(cmd: string, args: string[], what = `${cmd} ${args.join(' ')}`): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${what} failed (exit ${r.status ?? r.signal}): ${(r.stderr || r.stdout || '').trim().slice(-1500)}`);
  return r.stdout;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Whether the engine answers on its socket. */
export function engineAnswers(k: KindSettings, docker: string): boolean {
  return spawnSync(docker, ['version', '--format', '{{.Server.Version}}'], { env: { ...process.env, ...dockerEnv(k) }, stdio: 'ignore', timeout: 20_000 }).status === 0;
}

/** The veth pair: the host end (the project's address) and the engine's end (where ports are published). */
function linkNamespace(k: KindSettings, pid: number): void {
  const host = k.USERFORGE_KIND_HOST_INTERFACE;
  const peer = `${host}p`;
  const inNs = (args: string[]) => sh('nsenter', ['-t', String(pid), '-n', 'ip', ...args]);
  if (spawnSync('ip', ['link', 'show', host], { stdio: 'ignore' }).status !== 0) {
    sh('ip', ['link', 'add', host, 'type', 'veth', 'peer', 'name', peer, 'netns', String(pid)]);
  }
  sh('ip', ['address', 'replace', `${k.USERFORGE_KIND_HOST_ADDRESS}/30`, 'dev', host]);
  sh('ip', ['link', 'set', host, 'up']);
  inNs(['address', 'replace', `${k.USERFORGE_KIND_ENGINE_ADDRESS}/30`, 'dev', peer]);
  inNs(['link', 'set', peer, 'up']);
}

/** Starts the engine unless it runs; returns its pid. */
export async function startEngine(k: KindSettings, engineBin: string, docker: string, log: Log): Promise<number> {
  const p = kindPaths(k);
  const running = enginePid(k);
  if (running && engineAnswers(k, docker)) {
    linkNamespace(k, running);
    return running;
  }
  if (running) await stopEngine(k, log);
  for (const d of [p.dataRoot, p.execRoot, p.logs, p.conf, p.kube]) fs.mkdirSync(d, { recursive: true });
  recordLibModules(k);
  if (p.socket.length > 100) throw new Error(`the engine's socket path is too long for a unix socket (${p.socket}); set USERFORGE_KIND_DIR to a shorter directory`);
  const runcWrapper = path.join(kindCache(k, 'docker-engine'), 'userforge-runc');
  const runc = sh('sh', ['-c', 'command -v runc']).trim();
  fs.writeFileSync(runcWrapper, RUNC_WRAPPER.replace('os.execv(RUNC, [RUNC]', `os.execv(${JSON.stringify(runc)}, [${JSON.stringify(runc)}]`), { mode: 0o755 });
  const setup = namespaceSetup(cgroupMounts(fs.readFileSync('/proc/self/mountinfo', 'utf8')));
  log('starting the Docker engine in a network namespace of its own');
  try {
    return await launchEngine(k, engineBin, docker, setup, runcWrapper);
  } catch (err) {
    if (!(err instanceof EngineExited)) throw err;
    // Once seen in CI: the engine gone within its first second, nothing logged. Said, and tried once more.
    log(`${err.message}; starting it once more`);
    await stopEngine(k, log);
    return launchEngine(k, engineBin, docker, setup, runcWrapper);
  }
}

class EngineExited extends Error {}

async function launchEngine(k: KindSettings, engineBin: string, docker: string, setup: string, runcWrapper: string): Promise<number> {
  const p = kindPaths(k);
  const logFile = path.join(p.logs, 'dockerd.log');
  const logStart = fs.existsSync(logFile) ? fs.statSync(logFile).size : 0;
  let exit: string | undefined;
  const pid = spawnDetached(
    {
      cmd: 'unshare',
      args: [
        '--net', '--mount', '--propagation', 'slave', '--', 'sh', '-c', setup, 'userforge-engine',
        path.join(engineBin, 'dockerd'),
        '--data-root', p.dataRoot,
        '--exec-root', p.execRoot,
        '--host', `unix://${p.socket}`,
        '--pidfile', p.pidFile,
        '--add-runtime', `userforge-runc=${runcWrapper}`,
        '--default-runtime', 'userforge-runc',
        '--storage-driver', 'overlay2',
        // Containers reach nothing beyond the namespace: no default route, no DNS forwarding out.
        '--dns', '127.0.0.1',
        '--log-level', 'warn',
      ],
      // dockerd finds docker-proxy and containerd on its PATH.
      env: { PATH: `${engineBin}:${process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'}` },
    },
    logFile,
    (code, signal) => (exit = signal ? `killed by ${signal}` : `exit code ${code}`),
  );
  const deadline = Date.now() + 90_000;
  while (!engineAnswers(k, docker)) {
    if (exit !== undefined || (!isOurProcess(pid, 'userforge-engine') && !isOurProcess(pid, 'dockerd'))) {
      // Only what this start logged: older lines are another run's.
      const tail = fs.readFileSync(logFile, 'utf8').slice(logStart).trimEnd().split('\n').slice(-15).join('\n');
      throw new EngineExited(`the Docker engine exited while starting (${exit ?? 'gone'}); log ${logFile}${tail ? `:\n${tail}` : ', nothing logged'}`);
    }
    if (Date.now() > deadline) throw new Error(`the Docker engine did not answer within 90 s; log: ${path.join(p.logs, 'dockerd.log')}`);
    await sleep(500);
  }
  linkNamespace(k, pid);
  return pid;
}

/**
 * kind bind-mounts the host's /lib/modules into its nodes, and Docker creates a missing bind
 * source. A machine without one gets it removed again on `kind:down` (the marker says we made it).
 */
const LIB_MODULES = '/lib/modules';
const libModulesMarker = (k: KindSettings) => path.join(kindPaths(k).root, 'lib-modules-created');

function recordLibModules(k: KindSettings): void {
  if (fs.existsSync(LIB_MODULES) || fs.existsSync(libModulesMarker(k))) return;
  fs.writeFileSync(libModulesMarker(k), `${LIB_MODULES}\n`);
  fs.mkdirSync(LIB_MODULES);
}

function restoreLibModules(k: KindSettings): void {
  if (!fs.existsSync(libModulesMarker(k))) return;
  try {
    if (fs.readdirSync(LIB_MODULES).length === 0) fs.rmdirSync(LIB_MODULES);
  } catch {
    /* already gone */
  }
  fs.rmSync(libModulesMarker(k), { force: true });
}

/**
 * Stops the engine. Its namespaces die with it and its containers (kind's nodes), so their bridges,
 * iptables rules and mounts go too; the host end of the veth pair goes with its peer.
 */
export async function stopEngine(k: KindSettings, log: Log): Promise<void> {
  const p = kindPaths(k);
  const pid = enginePid(k);
  if (pid) {
    log('stopping the Docker engine');
    await stopProcess(pid, 'dockerd', 60_000);
  }
  // Shims of containers the engine did not stop (a killed engine) hold the namespace open.
  for (const shim of orphanShims(p.execRoot)) await stopProcess(shim, p.execRoot, 10_000);
  fs.rmSync(p.pidFile, { force: true });
  fs.rmSync(p.socket, { force: true });
  if (spawnSync('ip', ['link', 'show', k.USERFORGE_KIND_HOST_INTERFACE], { stdio: 'ignore' }).status === 0) {
    spawnSync('ip', ['link', 'delete', k.USERFORGE_KIND_HOST_INTERFACE], { stdio: 'ignore' });
  }
  restoreLibModules(k);
}

/** Processes started by this engine's containerd (shims, container processes named by our exec root). */
function orphanShims(execRoot: string): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmdline.includes(execRoot)) pids.push(Number(entry));
    } catch {
      /* gone */
    }
  }
  return pids;
}
