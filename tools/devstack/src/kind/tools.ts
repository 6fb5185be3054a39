import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { withBuildLock, type Log } from '../build-log';
import { builtBinary, copyGoModule, download, goBuild, goEnv, goInstallEnv } from '../go-build';
import { kubeHome, kubeVersionLdflags, provisionKubernetes, type KubeInstall } from '../kube/provision';
import { ProvisionError, requireTool } from '../prerequisites';
import { kindCache, type KindSettings } from './settings';

export const APT = (pkg: string) => `Run \`bash scripts/bootstrap.sh\` (installs the Debian package ${pkg}) or install it yourself.`;

/**
 * What `kind:up` runs, built or unpacked once into the cache: kind itself, Debian's Docker engine,
 * and the Go programs of the node (kubeadm, etcd, kube-network-policies, local-path-provisioner).
 * Go builds run one after another: the machines have two cores.
 */
export interface KindTools {
  kind: string;
  /** The directory of dockerd and docker-proxy, unpacked from Debian's docker.io package. */
  engineBin: string;
  docker: string;
  kube: KubeInstall;
  kubeadm: string;
  etcd: string;
  networkPolicies: string;
  localPath: string;
}

/** `go install module/pkg@version` (modules without `replace` lines). */
function goInstall(k: KindSettings, name: string, pkg: string, version: string, estimate: string, log: Log): string {
  const home = kindCache(k, `${name}-v${version}`);
  return goBuild({
    what: `${name} v${version}`,
    home,
    estimate,
    log,
    done: builtBinary(home, name),
    args: () => ['install', '-trimpath', '-ldflags', '-s -w', `${pkg}@v${version}`],
    env: (out) => goInstallEnv(k.stack, out),
    finish(out) {
      const built = path.join(out, path.basename(pkg));
      if (built !== path.join(out, name)) fs.renameSync(built, path.join(out, name));
    },
  });
}

/**
 * kubeadm from the wrapper module the Kubernetes build made, after it: the compiled packages are
 * shared, so it takes about two minutes. Cached apart from the other binaries, whose install check
 * must not change.
 */
function provisionKubeadm(k: KindSettings, kube: KubeInstall, log: Log): string {
  const home = kindCache(k, `kubeadm-v${kube.version}`);
  return goBuild({
    what: `kubeadm v${kube.version}`,
    home,
    estimate: 'about 1 min',
    log,
    done: builtBinary(home, 'kubeadm'),
    prepare() {
      const src = path.join(kubeHome(k.stack, kube.version), 'src');
      if (!fs.existsSync(path.join(src, 'go.mod'))) throw new ProvisionError(`${src}/go.mod is missing: the Kubernetes build module is gone; delete ${path.dirname(src)}/bin to rebuild it`);
      return src;
    },
    args: (out) => ['build', '-trimpath', '-ldflags', ['-s', '-w', ...kubeVersionLdflags(kube.version)].join(' '), '-o', `${out}/`, 'k8s.io/kubernetes/cmd/kubeadm'],
    env: () => goEnv(k.stack),
  });
}

/**
 * etcd's server module points its sibling modules at local directories; a wrapper module that
 * requires it takes their published versions instead (as the Kubernetes build does).
 */
function provisionEtcd(k: KindSettings, log: Log): string {
  const version = k.USERFORGE_KIND_ETCD_VERSION;
  const home = kindCache(k, `etcd-v${version}`);
  return goBuild({
    what: `etcd v${version}`,
    home,
    estimate: 'about 1–2 min',
    log,
    done: builtBinary(home, 'etcd'),
    prepare(go) {
      const [server] = download(go, k.stack, [`go.etcd.io/etcd/server/v3@v${version}`]);
      if (!server?.GoMod || server.Error) throw new ProvisionError(`the Go module proxy does not serve etcd v${version}: ${server?.Error}`);
      const goLine = fs.readFileSync(server.GoMod, 'utf8').split('\n').find((l) => l.startsWith('go ')) ?? 'go 1.23';
      const src = path.join(home, 'src');
      fs.mkdirSync(src, { recursive: true });
      fs.writeFileSync(path.join(src, 'go.mod'), `module userforge.local/etcd-build\n\n${goLine}\n\nrequire go.etcd.io/etcd/server/v3 v${version}\n`);
      return src;
    },
    args: (out) => ['build', '-trimpath', '-ldflags', '-s -w', '-o', path.join(out, 'etcd'), 'go.etcd.io/etcd/server/v3'],
    env: () => goEnv(k.stack),
  });
}

/**
 * kube-network-policies hands packets to its policy engine with nftables' `queue` expression, which
 * some kernels lack (CONFIG_NFT_QUEUE unset, as on these machines) while they have xtables' NFQUEUE
 * target: the same queue, reached through nft_compat. The module is built with that one swap.
 */
export const NFQUEUE_COMPAT_GO = `package networkpolicy

import (
	"github.com/google/nftables/expr"
	"github.com/google/nftables/xt"
)

// nfQueue sends a packet to an nfqueue through xtables' NFQUEUE target (revision 3) via nft_compat,
// for kernels without nftables' queue expression. Added by userforge's scripts/kind/tools.ts.
func nfQueue(num uint16, bypass bool) expr.Any {
	flags := byte(0)
	if bypass {
		flags = 1 // NFQ_FLAG_BYPASS
	}
	// struct xt_NFQ_info_v3 { u16 queuenum; u16 queues_total; u16 flags; }, padded to 8 bytes.
	info := xt.Unknown([]byte{byte(num), byte(num >> 8), 1, 0, flags, 0, 0, 0})
	return &expr.Target{Name: "NFQUEUE", Rev: 3, Info: &info}
}
`;

/** The source edits: every nftables queue expression becomes nfQueue(...). */
export function patchQueueExpressions(file: string, text: string): string {
  const patched = text
    .replace(/queue := &expr\.Queue\{Num: uint16\(c\.config\.QueueID\)\}\n\tif c\.config\.FailOpen \{\n\t\tqueue\.Flag = expr\.QueueFlagBypass\n\t\}/g, 'queue := nfQueue(uint16(c.config.QueueID), c.config.FailOpen)')
    .replace(/&expr\.Queue\{Num: uint16\(n\.nfQueueID\), Flag: expr\.QueueFlagBypass\}/g, 'nfQueue(uint16(n.nfQueueID), true)');
  if (patched.includes('expr.Queue{')) throw new ProvisionError(`kube-network-policies: ${file} has a queue expression the NFQUEUE patch does not know; update tools/devstack/src/kind/tools.ts`);
  return patched;
}

function provisionNetworkPolicies(k: KindSettings, log: Log): string {
  const version = k.USERFORGE_KIND_NETWORK_POLICIES_VERSION;
  const home = kindCache(k, `kube-network-policies-v${version}-nfqueue`);
  const src = path.join(home, 'src');
  return goBuild({
    what: `kube-network-policies v${version} (NFQUEUE through nft_compat)`,
    home,
    estimate: 'about 6 min',
    log,
    done: builtBinary(home, 'kube-network-policies'),
    prepare(go) {
      const [mod] = download(go, k.stack, [`sigs.k8s.io/kube-network-policies@v${version}`]);
      if (!mod?.Dir || mod.Error) throw new ProvisionError(`the Go module proxy does not serve kube-network-policies v${version}: ${mod?.Error}`);
      copyGoModule(mod.Dir, src);
      const pkg = path.join(src, 'pkg', 'networkpolicy');
      for (const f of fs.readdirSync(pkg).filter((n) => n.endsWith('.go') && !n.endsWith('_test.go'))) {
        const text = fs.readFileSync(path.join(pkg, f), 'utf8');
        if (text.includes('expr.Queue{')) fs.writeFileSync(path.join(pkg, f), patchQueueExpressions(f, text));
      }
      fs.writeFileSync(path.join(pkg, 'userforge_nfqueue.go'), NFQUEUE_COMPAT_GO);
      return src;
    },
    args: (out) => ['build', '-trimpath', '-ldflags', '-s -w', '-o', path.join(out, 'kube-network-policies'), './cmd'],
    env: () => goEnv(k.stack),
    cleanup: () => fs.rmSync(src, { recursive: true, force: true }),
  });
}

/**
 * Debian's docker.io, unpacked (not installed: no service, no maintainer scripts). Its dockerd runs
 * with the machine's containerd and runc, which bootstrap installs.
 */
function provisionEngine(k: KindSettings, log: Log): string {
  const home = kindCache(k, 'docker-engine');
  const bin = path.join(home, 'root', 'usr', 'sbin');
  const done = () => (fs.existsSync(path.join(bin, 'dockerd')) ? bin : undefined);
  return withBuildLock(home, "Debian's docker.io", log, done, () => {
    requireTool('apt-get', APT('docker.io'));
    requireTool('containerd', APT('containerd'));
    requireTool('runc', APT('runc'));
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'userforge-docker-deb-'));
    try {
      log("unpacking Debian's docker.io into the cache (first run only)");
      const dl = spawnSync('apt-get', ['download', 'docker.io'], { cwd: tmp, encoding: 'utf8' });
      const deb = fs.readdirSync(tmp).find((f) => f.endsWith('.deb'));
      if (!deb) throw new ProvisionError(`apt-get download docker.io failed: ${(dl.stderr || dl.stdout).trim().slice(-1500)}`);
      const root = path.join(home, 'root');
      fs.rmSync(root, { recursive: true, force: true });
      const x = spawnSync('dpkg-deb', ['-x', path.join(tmp, deb), root], { encoding: 'utf8' });
      if (x.status !== 0) throw new ProvisionError(`dpkg-deb -x ${deb} failed: ${x.stderr}`);
      fs.writeFileSync(path.join(home, 'package'), `${deb}\n`);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
    return bin;
  });
}

/** Every tool of `kind:up`, built or unpacked when missing (the first run takes several minutes). */
export function provisionKindTools(k: KindSettings, log: Log): KindTools {
  const kube = provisionKubernetes(k.stack, log);
  const engineBin = provisionEngine(k, log);
  return {
    kind: goInstall(k, 'kind', 'sigs.k8s.io/kind', k.USERFORGE_KIND_VERSION, 'under 1 min', log),
    engineBin,
    docker: path.join(path.dirname(engineBin), 'bin', 'docker'),
    kube,
    kubeadm: provisionKubeadm(k, kube, log),
    etcd: provisionEtcd(k, log),
    networkPolicies: provisionNetworkPolicies(k, log),
    localPath: goInstall(k, 'local-path-provisioner', 'github.com/rancher/local-path-provisioner', k.USERFORGE_KIND_LOCAL_PATH_VERSION, 'about 5 min', log),
  };
}

/** The tools, only when all are cached (for `kind:status` and `kind:down`, which must not build). */
export function installedKindTools(k: KindSettings): Pick<KindTools, 'kind' | 'docker' | 'engineBin'> | undefined {
  const engineBin = path.join(kindCache(k, 'docker-engine'), 'root', 'usr', 'sbin');
  const kind = path.join(kindCache(k, `kind-v${k.USERFORGE_KIND_VERSION}`), 'bin', 'kind');
  if (!fs.existsSync(kind) || !fs.existsSync(path.join(engineBin, 'dockerd'))) return undefined;
  return { kind, engineBin, docker: path.join(path.dirname(engineBin), 'bin', 'docker') };
}
