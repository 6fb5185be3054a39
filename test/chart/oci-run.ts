/**
 * Starts a built image the way a Kubernetes node does, without a container engine: buildah mounts
 * the image, runc runs it from an OCI runtime spec made of the image's own configuration (user,
 * entrypoint and command, environment, working directory), on a read-only root with /tmp as a
 * tmpfs (the chart's readOnlyRootFilesystem and emptyDir). Its network is the host's, or a
 * namespace the caller made (only loopback in it).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildah, inspectImage } from '@userforge/devstack';

export interface RunningImage {
  /** stdout and stderr so far. */
  output: () => string;
  /** The container's exit code once it ended. */
  exited: Promise<number | null>;
  /** Whether runc has returned (the container ended). */
  ended: () => boolean;
  /** The host's process id of the container's PID 1 (runc state). */
  pid: () => number;
  /** Sends a signal to the container's PID 1 (runc kill). */
  signal: (name: string) => void;
  /** The image's STOPSIGNAL (SIGTERM when it names none). */
  stopSignal: string;
  /** Kills and deletes the container and its buildah working container. */
  remove: () => void;
}

export interface RunOptions {
  env?: Record<string, string>;
  /** A named network namespace (`ip netns add`); the host's network when absent. */
  netns?: string;
  /** Replaces the image's command (its entrypoint stays). */
  cmd?: string[];
  /** Replaces the image's entrypoint (a Kubernetes container's `command`). */
  entrypoint?: string[];
  /** Host directories bound into the container (volumes), after the /tmp tmpfs. */
  mounts?: { destination: string; source: string; readonly?: boolean }[];
}

/** uid and gid of the image's USER (numeric, as Kubernetes needs to verify runAsNonRoot), the gid from /etc/group when not given. */
function userOf(user: string | undefined, rootfs: string): { uid: number; gid: number } {
  const [uid, gid] = (user || '0').split(':');
  if (!/^\d+$/.test(uid ?? '')) throw new Error(`the image's USER is not numeric: ${user}`);
  if (gid !== undefined) return { uid: Number(uid), gid: Number(gid) };
  const entry = fs.readFileSync(path.join(rootfs, 'etc', 'passwd'), 'utf8').split('\n').map((l) => l.split(':')).find((f) => f[2] === uid);
  return { uid: Number(uid), gid: Number(entry?.[3] ?? uid) };
}

export function runImage(ref: string, options: RunOptions = {}): RunningImage {
  const { config } = inspectImage(ref);
  const container = buildah(['from', '--pull=never', ref]).trim();
  const id = `userforge-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const bundle = fs.mkdtempSync(path.join(os.tmpdir(), 'userforge-oci-'));
  let child: ChildProcess | undefined;
  const remove = () => {
    spawnSync('runc', ['delete', '--force', id], { stdio: 'ignore' });
    if (child && child.exitCode === null) child.kill('SIGKILL');
    spawnSync('buildah', ['rm', container], { stdio: 'ignore' });
    fs.rmSync(bundle, { recursive: true, force: true });
  };
  try {
    const rootfs = buildah(['mount', container]).trim();
    const spec = spawnSync('runc', ['spec', '--bundle', bundle], { encoding: 'utf8' });
    if (spec.status !== 0) throw new Error(`runc spec failed: ${spec.stderr}`);
    const file = path.join(bundle, 'config.json');
    const oci = JSON.parse(fs.readFileSync(file, 'utf8')) as {
      process: Record<string, unknown>;
      root: { path: string; readonly: boolean };
      hostname?: string;
      mounts: { destination: string; type: string; source: string; options: string[] }[];
      linux: { namespaces: { type: string; path?: string }[] };
    };
    const env = [...(config.Env ?? []), ...Object.entries(options.env ?? {}).map(([k, v]) => `${k}=${v}`)];
    oci.process = {
      ...oci.process,
      terminal: false,
      user: userOf(config.User, rootfs),
      args: [...(options.entrypoint ?? config.Entrypoint ?? []), ...(options.cmd ?? config.Cmd ?? [])],
      env,
      cwd: config.WorkingDir || '/',
    };
    oci.root = { path: rootfs, readonly: true };
    oci.mounts.push({ destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=1777', 'size=64m'] });
    for (const m of options.mounts ?? []) oci.mounts.push({ destination: m.destination, type: 'bind', source: m.source, options: ['rbind', m.readonly ? 'ro' : 'rw'] });
    oci.linux.namespaces = oci.linux.namespaces.filter((n) => n.type !== 'network');
    if (options.netns) oci.linux.namespaces.push({ type: 'network', path: `/var/run/netns/${options.netns}` });
    fs.writeFileSync(file, JSON.stringify(oci));
    child = spawn('runc', ['run', '--bundle', bundle, id], { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    remove();
    throw e;
  }
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const running = child;
  return {
    output: () => output,
    exited: new Promise((resolve) => running.on('exit', (code) => resolve(code))),
    ended: () => running.exitCode !== null || running.signalCode !== null,
    pid: () => {
      const r = spawnSync('runc', ['state', id], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`runc state ${id} failed: ${r.stderr}`);
      return (JSON.parse(r.stdout) as { pid: number }).pid;
    },
    signal: (name) => {
      const r = spawnSync('runc', ['kill', id, name.replace(/^SIG/, '')], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`runc kill ${id} ${name} failed: ${r.stderr}`);
    },
    stopSignal: config.StopSignal ?? 'SIGTERM',
    remove,
  };
}

/** Mounts the image's file system (a fresh working container) for `read`, then removes it. */
export function withImageFiles<T>(ref: string, read: (rootfs: string) => T): T {
  const container = buildah(['from', '--pull=never', ref]).trim();
  try {
    return read(buildah(['mount', container]).trim());
  } finally {
    spawnSync('buildah', ['rm', container], { stdio: 'ignore' });
  }
}
