import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { debootstrap } from '../images/base';
import { ProvisionError } from '../prerequisites';
import { withBuildLock } from '../build-log';
import { dockerEnv } from './engine';
import { busyboxImage, corednsImage, imagesDir, pauseImage, type ImageArchive } from './images';
import { cniConfig, networkManifest, nodeImageRefs, storageManifest, type NodeImageRefs } from './manifests';
import { kindCache, type KindSettings } from './settings';
import type { KindTools } from './tools';

/**
 * kind's node image, assembled the way its build context does, since `kind build node-image` pulls
 * images: a Debian root file system per kind's images/base (Debian's systemd, containerd, runc, CNI
 * plugins, iptables; kind's own files from its module), the Kubernetes binaries built here, and every
 * image the node runs imported into its containerd. Nothing comes from a registry.
 */

type Log = (m: string) => void;

/** Bump when the recipe changes, so a cached node image of an older recipe is rebuilt. */
const RECIPE = 3;

/** kind's images/base packages, less what this set-up does not use (fuse-overlayfs, NFS, iSCSI). */
const NODE_PACKAGES = [
  'systemd', 'dbus', 'containerd', 'runc', 'containernetworking-plugins', 'conntrack', 'iptables', 'iproute2', 'ethtool',
  'util-linux', 'mount', 'kmod', 'libseccomp2', 'pigz', 'bash', 'ca-certificates', 'procps', 'socat', 'jq',
];

/**
 * The node's global kernel settings are the host's: the node sees them read-only, so neither its
 * systemd (which raises fs.file-max, fs.nr_open) nor anything else there changes the host. The
 * kubelet writes its tunables only when they differ from its values, so it is shown its values.
 */
export const KUBELET_TUNABLES: Record<string, string> = {
  'vm/overcommit_memory': '1',
  'vm/panic_on_oom': '0',
  'kernel/panic': '10',
  'kernel/panic_on_oops': '1',
  'kernel/keys/root_maxkeys': '1000000',
  'kernel/keys/root_maxbytes': '25000000',
};

export function entrypointGuard(): string {
  return [
    '#!/bin/bash',
    "# Written by userforge's scripts/kind/node-image.ts: keeps the host's global kernel settings out of",
    "# the node's reach (read-only), then runs kind's entrypoint.",
    'set -euo pipefail',
    'dir=/run/userforge-sysctl',
    'mkdir -p "$dir"',
    'for d in fs kernel vm; do mount --bind "/proc/sys/$d" "/proc/sys/$d"; mount -o remount,bind,ro "/proc/sys/$d"; done',
    ...Object.entries(KUBELET_TUNABLES).map(([key, value]) => {
      const file = `$dir/${key.replace(/\//g, '_')}`;
      return `echo ${value} > "${file}"; mount --bind "${file}" /proc/sys/${key}; mount -o remount,bind,ro /proc/sys/${key}`;
    }),
    'exec /usr/local/bin/entrypoint "$@"',
    '',
  ].join('\n');
}

/** containerd 1.6's config (kind's is for 2.x): the local pause image, and OOM scores the node may not lower. */
export function containerdConfig(pause: string): string {
  return `# Written by userforge's scripts/kind/node-image.ts (containerd 1.6, config version 2).
version = 2

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "${pause}"
  tolerate_missing_hugepages_controller = true
  # The machine's bounding set lacks CAP_SYS_RESOURCE, so the node cannot lower OOM scores.
  restrict_oom_score_adj = true
[plugins."io.containerd.grpc.v1.cri".containerd]
  discard_unpacked_layers = true
  snapshotter = "overlayfs"
  default_runtime_name = "runc"
[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"
  base_runtime_spec = "/etc/containerd/cri-base.json"
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
    SystemdCgroup = true
[plugins."io.containerd.grpc.v1.cri".cni]
  bin_dir = "/opt/cni/bin"
  conf_dir = "/etc/cni/net.d"
`;
}

/** `ctr oci spec` as kind's base image edits it: product files mounted by a hook, no rlimits. */
export function criBaseSpec(spec: string): string {
  const s = JSON.parse(spec) as { hooks?: { createContainer?: { path: string }[] }; process?: { rlimits?: unknown } };
  s.hooks = { ...s.hooks, createContainer: [...(s.hooks?.createContainer ?? []), { path: '/kind/bin/mount-product-files.sh' }] };
  if (s.process) delete s.process.rlimits;
  return `${JSON.stringify(s, null, 2)}\n`;
}

function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string; timeout?: number } = {}): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, ...opts.env }, input: opts.input, timeout: opts.timeout, maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new ProvisionError(`${cmd} ${args.slice(0, 6).join(' ')} failed (exit ${r.status ?? r.signal}): ${(r.stderr || r.stdout || '').trim().slice(-1500)}`);
  return r.stdout.trim();
}

function hostRelease(): string {
  const m = /^VERSION_CODENAME=(\w+)/m.exec(fs.readFileSync('/etc/os-release', 'utf8'));
  if (!m?.[1]) throw new ProvisionError('the node image is made from Debian packages; /etc/os-release names no Debian release');
  return m[1];
}

function copyTree(from: string, to: string, mode?: number): void {
  fs.mkdirSync(to, { recursive: true });
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const src = path.join(from, entry.name);
    const dst = path.join(to, entry.name);
    if (entry.isDirectory()) copyTree(src, dst, mode);
    else {
      fs.copyFileSync(src, dst);
      fs.chmodSync(dst, mode ?? (fs.statSync(src).mode & 0o777) | 0o644);
    }
  }
}

/** kind's images/base files and set-up steps (its Dockerfile's RUN lines) on a Debian root. */
function prepareNodeRootfs(k: KindSettings, rootfs: string, kindModule: string, tools: KindTools, refs: NodeImageRefs, kubeVersion: string): void {
  const files = path.join(kindModule, 'images', 'base', 'files');
  copyTree(path.join(files, 'usr', 'local', 'bin'), path.join(rootfs, 'usr', 'local', 'bin'), 0o755);
  copyTree(path.join(files, 'kind'), path.join(rootfs, 'kind'), 0o644);
  copyTree(path.join(files, 'kind', 'bin'), path.join(rootfs, 'kind', 'bin'), 0o755);
  copyTree(path.join(files, 'etc'), path.join(rootfs, 'etc'), 0o644);
  // No fuse-overlayfs here; Debian's containerd is in /usr/bin where kind's unit looks in /usr/local/bin.
  fs.rmSync(path.join(rootfs, 'etc/systemd/system/containerd-fuse-overlayfs.service'), { force: true });
  fs.symlinkSync('/usr/bin/containerd', path.join(rootfs, 'usr/local/bin/containerd'));
  fs.writeFileSync(path.join(rootfs, 'etc/containerd/config.toml'), containerdConfig(refs.pause));
  fs.writeFileSync(path.join(rootfs, 'etc/containerd/cri-base.json'), criBaseSpec(run('ctr', ['oci', 'spec'])));
  fs.writeFileSync(path.join(rootfs, 'usr/local/bin/userforge-entrypoint'), entrypointGuard(), { mode: 0o755 });
  // Only kind's per-namespace net.* settings: systemd-sysctl must not write global ones.
  for (const dir of ['usr/lib/sysctl.d', 'lib/sysctl.d']) {
    const full = path.join(rootfs, dir);
    if (fs.existsSync(full) && !fs.lstatSync(full).isSymbolicLink()) for (const f of fs.readdirSync(full)) fs.rmSync(path.join(full, f), { force: true });
  }
  fs.writeFileSync(path.join(rootfs, 'etc/sysctl.conf'), '');
  const cni = path.join(rootfs, 'opt/cni/bin');
  fs.mkdirSync(cni, { recursive: true });
  for (const p of ['host-local', 'loopback', 'ptp', 'portmap', 'bridge']) fs.copyFileSync(path.join(rootfs, 'usr/lib/cni', p), path.join(cni, p));
  for (const p of [cni]) for (const f of fs.readdirSync(p)) fs.chmodSync(path.join(p, f), 0o755);
  for (const [name, file] of [['kubeadm', tools.kubeadm], ['kubelet', tools.kube.bin('kubelet')], ['kubectl', tools.kube.bin('kubectl')]] as const) {
    fs.copyFileSync(file, path.join(rootfs, 'usr/bin', name));
    fs.chmodSync(path.join(rootfs, 'usr/bin', name), 0o755);
  }
  fs.writeFileSync(path.join(rootfs, 'kind/version'), `v${kubeVersion}\n`);
  const manifests = path.join(rootfs, 'kind/manifests');
  fs.mkdirSync(manifests, { recursive: true });
  fs.writeFileSync(path.join(manifests, 'default-cni.yaml'), networkManifest(refs));
  const upstreamStorage = path.join(k.stack.USERFORGE_CACHE_DIR, 'go', 'mod', 'github.com', 'rancher', `local-path-provisioner@v${refs.localPath.split(':v').pop()}`, 'deploy', 'local-path-storage.yaml');
  fs.writeFileSync(path.join(manifests, 'default-storage.yaml'), storageManifest(fs.readFileSync(upstreamStorage, 'utf8'), refs));
  fs.mkdirSync(path.join(rootfs, 'etc/kubernetes/manifests'), { recursive: true });
  const script = [
    'set -e',
    'find /lib/systemd/system/sysinit.target.wants/ -name systemd-tmpfiles-setup.service -delete',
    'rm -f /lib/systemd/system/multi-user.target.wants/* /etc/systemd/system/*.wants/* /lib/systemd/system/local-fs.target.wants/*',
    'rm -f /lib/systemd/system/sockets.target.wants/*udev* /lib/systemd/system/sockets.target.wants/*initctl* /lib/systemd/system/basic.target.wants/*',
    'echo ReadKMsg=no >> /etc/systemd/journald.conf',
    'ln -sf /usr/lib/systemd/systemd /sbin/init',
    'systemctl enable kubelet.service containerd.service undo-mount-hacks.service',
    'systemctl mask systemd-binfmt.service',
  ].join('\n');
  run('chroot', [rootfs, 'sh', '-c', script]);
}

/** A tar of `dir` imported as an image with `changes` (Dockerfile instructions), then saved as an archive. */
function importImage(docker: string, env: NodeJS.ProcessEnv, dir: string, ref: string, changes: string[], archive: string): void {
  const args = ['import', ...changes.flatMap((c) => ['--change', c]), '-', ref];
  const r = spawnSync('sh', ['-c', 'd=$1; shift; tar -C "$d" -c . | "$@"', 'import', dir, docker, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
  if (r.status !== 0) throw new ProvisionError(`docker import ${ref} failed: ${(r.stdout + r.stderr).trim().slice(-1000)}`);
  if (!archive) return;
  run(docker, ['save', '-o', archive, ref], { env });
  // The archive is what the node image takes; the engine need not keep a copy.
  spawnSync(docker, ['image', 'rm', ref], { env: { ...process.env, ...env }, stdio: 'ignore' });
}

const PATH_ENV = 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The images of the node, as archives in the cache (built once). */
function componentArchives(k: KindSettings, tools: KindTools, refs: NodeImageRefs, log: Log): string[] {
  const home = kindCache(k, 'kind-images');
  const docker = tools.docker;
  const env = dockerEnv(k);
  const archives: string[] = [];
  // Named by the image's tag, so a new version is a new archive.
  const archiveOf = (name: string, ref: string) => path.join(home, `${name}-${ref.slice(ref.lastIndexOf(':') + 1)}.tar`);
  const oneBinary = (name: string, ref: string, binary: string, at: string) => {
    const file = archiveOf(name, ref);
    archives.push(file);
    withBuildLock(home, `image ${ref}`, log, () => (fs.existsSync(file) ? file : undefined), () => {
      log(`building image ${ref}`);
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), `userforge-${name}-`));
      try {
        fs.mkdirSync(path.join(dir, path.dirname(at)), { recursive: true });
        fs.mkdirSync(path.join(dir, 'tmp'), { recursive: true });
        fs.copyFileSync(binary, path.join(dir, at));
        fs.chmodSync(path.join(dir, at), 0o755);
        importImage(docker, env, dir, ref, [PATH_ENV], `${file}.tmp`);
        fs.renameSync(`${file}.tmp`, file);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
      return file;
    });
  };
  oneBinary('kube-apiserver', refs.apiserver, tools.kube.bin('kube-apiserver'), 'usr/local/bin/kube-apiserver');
  oneBinary('kube-controller-manager', refs.controllerManager, tools.kube.bin('kube-controller-manager'), 'usr/local/bin/kube-controller-manager');
  oneBinary('kube-scheduler', refs.scheduler, tools.kube.bin('kube-scheduler'), 'usr/local/bin/kube-scheduler');
  oneBinary('etcd', refs.etcd, tools.etcd, 'usr/local/bin/etcd');
  oneBinary('kube-network-policies-nfqueue', refs.networkPolicies, tools.networkPolicies, 'bin/netpol');
  oneBinary('local-path-provisioner', refs.localPath, tools.localPath, 'usr/local/bin/local-path-provisioner');
  // kube-proxy runs iptables and conntrack: a Debian minbase with them, as its official image is.
  const proxy = archiveOf('kube-proxy', refs.proxy);
  archives.push(proxy);
  withBuildLock(home, `image ${refs.proxy}`, log, () => (fs.existsSync(proxy) ? proxy : undefined), () => {
    log(`building image ${refs.proxy} (a Debian minbase with iptables and conntrack)`);
    const rootfs = path.join(home, 'rootfs-kube-proxy');
    debootstrap(rootfs, hostRelease(), debCache(k), ['iptables', 'conntrack'], log);
    fs.copyFileSync(tools.kube.bin('kube-proxy'), path.join(rootfs, 'usr/local/bin/kube-proxy'));
    fs.chmodSync(path.join(rootfs, 'usr/local/bin/kube-proxy'), 0o755);
    importImage(docker, env, rootfs, refs.proxy, [PATH_ENV], `${proxy}.tmp`);
    fs.renameSync(`${proxy}.tmp`, proxy);
    fs.rmSync(rootfs, { recursive: true, force: true });
    return proxy;
  });
  // The images built with buildah (images.ts): pause, busybox, CoreDNS.
  archives.push(
    buildahArchive(k, 'pause-v1.tar', () => pauseImage(k, log)),
    buildahArchive(k, 'busybox-v1.tar', () => busyboxImage(k, log)),
    buildahArchive(k, `coredns-v${k.USERFORGE_COREDNS_VERSION}.tar`, () => corednsImage(k, log)),
  );
  return archives;
}

/**
 * A buildah image's archive, taken as it is when built already: its builder holds one lock for all
 * its images, so asking it would wait for an unrelated build (Traefik's takes minutes).
 */
function buildahArchive(k: KindSettings, file: string, build: () => ImageArchive): string {
  const built = path.join(imagesDir(k), file);
  return fs.existsSync(built) ? built : build().file;
}

/** Debian packages downloaded once for every local root file system (shared with images/). */
const debCache = (k: KindSettings) => path.join(k.stack.USERFORGE_CACHE_DIR, 'images', `debian-${hostRelease()}-debs`);

export function kindModuleDir(k: KindSettings): string {
  return path.join(k.stack.USERFORGE_CACHE_DIR, 'go', 'mod', 'sigs.k8s.io', `kind@v${k.USERFORGE_KIND_VERSION}`);
}

export function refsFor(k: KindSettings, kubeVersion: string): NodeImageRefs {
  return nodeImageRefs({
    kube: kubeVersion,
    etcd: k.USERFORGE_KIND_ETCD_VERSION,
    coredns: k.USERFORGE_COREDNS_VERSION,
    networkPolicies: k.USERFORGE_KIND_NETWORK_POLICIES_VERSION,
    localPath: k.USERFORGE_KIND_LOCAL_PATH_VERSION,
  });
}

/** The node image's name: its content follows from the versions and the recipe. */
export function nodeImageRef(k: KindSettings, kubeVersion: string): string {
  const key = JSON.stringify({ RECIPE, refs: refsFor(k, kubeVersion), kind: k.USERFORGE_KIND_VERSION });
  return `localhost/userforge/kind-node:v${kubeVersion}-${createHash('sha256').update(key).digest('hex').slice(0, 10)}`;
}

const imageExists = (docker: string, env: NodeJS.ProcessEnv, ref: string) => spawnSync(docker, ['image', 'inspect', ref], { env: { ...process.env, ...env }, stdio: 'ignore' }).status === 0;

/** Builds the node image in the engine unless it is there; the engine must be running. */
export function ensureNodeImage(k: KindSettings, tools: KindTools, log: Log): string {
  const docker = tools.docker;
  const env = dockerEnv(k);
  const ref = nodeImageRef(k, tools.kube.version);
  if (imageExists(docker, env, ref)) return ref;
  const started = Date.now();
  const refs = refsFor(k, tools.kube.version);
  const archives = componentArchives(k, tools, refs, log);
  const home = kindCache(k, 'kind-node');
  const base = `${ref}-base`;
  if (!imageExists(docker, env, base)) {
    log(`building the node's root file system from Debian ${hostRelease()} packages`);
    const rootfs = path.join(home, 'rootfs');
    debootstrap(rootfs, hostRelease(), debCache(k), NODE_PACKAGES, log);
    prepareNodeRootfs(k, rootfs, kindModuleDir(k), tools, refs, tools.kube.version);
    importImage(docker, env, rootfs, base, ['ENV container=docker', PATH_ENV, 'ENTRYPOINT ["/usr/local/bin/userforge-entrypoint", "/sbin/init"]'], '');
    fs.rmSync(rootfs, { recursive: true, force: true });
  }
  log(`importing ${archives.length} images into the node image ${ref}`);
  const builder = `userforge-node-build-${process.pid}`;
  const images = '/userforge-images';
  run(docker, ['run', '-d', '--privileged', '--name', builder, '--stop-signal', 'SIGRTMIN+3', '-v', `${kindCache(k, 'kind-images')}:${images}-a:ro`, '-v', `${imagesDir(k)}:${images}-b:ro`, '--entrypoint', '/usr/bin/containerd', base], { env });
  try {
    const exec = (args: string[]) => run(docker, ['exec', builder, ...args], { env, timeout: 10 * 60_000 });
    for (let i = 0; spawnSync(docker, ['exec', builder, 'ctr', 'version'], { env: { ...process.env, ...env }, stdio: 'ignore' }).status !== 0; i++) {
      if (i > 120) throw new ProvisionError('containerd in the node image did not start');
      spawnSync('sleep', ['0.5']);
    }
    for (const file of archives) {
      const inside = file.startsWith(kindCache(k, 'kind-images')) ? `${images}-a/${path.basename(file)}` : `${images}-b/${path.basename(file)}`;
      exec(['ctr', '--namespace=k8s.io', 'images', 'import', '--all-platforms', '--no-unpack', inside]);
    }
    const listed = exec(['ctr', '--namespace=k8s.io', 'images', 'list', '-q']).split('\n');
    const missing = Object.values(refs).filter((r) => !listed.some((l) => l === r || l === `docker.io/${r}`));
    if (missing.length > 0) throw new ProvisionError(`the node image lacks ${missing.join(', ')} after the import (has: ${listed.join(', ')})`);
    // Pinned, as kind pins its images: the kubelet's image garbage collection keeps them.
    exec(['sh', '-c', `for i in ${Object.values(refs).join(' ')}; do ctr --namespace=k8s.io images label "$i" io.cri-containerd.pinned=pinned > /dev/null; done`]);
    // containerd stops cleanly on SIGTERM (the image's stop signal is systemd's).
    run(docker, ['kill', '--signal', 'TERM', builder], { env });
    run(docker, ['wait', builder], { env });
    run(docker, ['commit', '--change', 'ENTRYPOINT ["/usr/local/bin/userforge-entrypoint", "/sbin/init"]', '--change', 'CMD []', builder, ref], { env });
  } finally {
    spawnSync(docker, ['rm', '-f', builder], { env: { ...process.env, ...env }, stdio: 'ignore' });
  }
  spawnSync(docker, ['image', 'rm', base], { env: { ...process.env, ...env }, stdio: 'ignore' });
  // Node images of older recipes or versions (about 1 GB each); one a running node uses stays.
  const repo = ref.slice(0, ref.lastIndexOf(':'));
  const older = run(docker, ['image', 'ls', repo, '--format', '{{.Repository}}:{{.Tag}}'], { env }).split('\n').filter((r) => r && r !== ref);
  for (const old of older) spawnSync(docker, ['image', 'rm', old], { env: { ...process.env, ...env }, stdio: 'ignore' });
  log(`node image ${ref} built in ${Math.round((Date.now() - started) / 1000)} s`);
  return ref;
}
