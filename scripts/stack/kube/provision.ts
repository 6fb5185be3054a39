import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ProvisionError, requireTool } from '../provision';
import type { StackSettings } from '../settings';

/** Every binary of a control plane and a node, built together so they share compiled packages. */
export const KUBE_BINARIES = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubelet', 'kube-proxy', 'kubectl'] as const;
export type KubeBinary = (typeof KUBE_BINARIES)[number];

export interface KubeInstall {
  /** The release actually built: the configured one, or the fallback when the proxy refuses it. */
  version: string;
  bin(name: KubeBinary): string;
}

export const GO_HINT = 'Install Go 1.24+ (run `bash scripts/bootstrap.sh` or see docs/local-stack.md); it builds Kubernetes from the Go module proxy.';

/**
 * Go's caches for the Kubernetes and Helm builds live in the userforge cache, so every checkout and
 * CI on the same machine reuse the ~5 GB of modules and compiled packages. `-modcacherw` keeps
 * the module cache deletable with `rm -rf`.
 */
export function goEnv(s: StackSettings): NodeJS.ProcessEnv {
  return {
    GOCACHE: path.join(s.USERFORGE_CACHE_DIR, 'go', 'build'),
    GOMODCACHE: path.join(s.USERFORGE_CACHE_DIR, 'go', 'mod'),
    GOFLAGS: '-mod=mod -modcacherw',
    GOTOOLCHAIN: 'local',
    // Static binaries, as Kubernetes' own release builds are.
    CGO_ENABLED: '0',
  };
}

export const kubeHome = (s: StackSettings, version: string) => path.join(s.USERFORGE_CACHE_DIR, `kubernetes-v${version}`);

function installed(s: StackSettings, version: string): KubeInstall | undefined {
  const dir = path.join(kubeHome(s, version), 'bin');
  if (!KUBE_BINARIES.every((b) => fs.existsSync(path.join(dir, b)))) return undefined;
  return { version, bin: (name) => path.join(dir, name) };
}

/** The cached binaries, if any were built (for callers that must not start a build). */
export function installedKubernetes(s: StackSettings): KubeInstall | undefined {
  return installed(s, s.USERFORGE_KUBERNETES_VERSION) ?? installed(s, s.USERFORGE_KUBERNETES_FALLBACK_VERSION);
}

interface ModuleInfo {
  Path: string;
  Version: string;
  Dir?: string;
  GoMod?: string;
  Error?: string;
}

/** `go mod download -json` of several modules; a module the proxy refuses comes back with `Error`. */
export function download(go: string, s: StackSettings, modules: string[]): ModuleInfo[] {
  const r = spawnSync(go, ['mod', 'download', '-json', ...modules], {
    cwd: os.tmpdir(),
    env: { ...process.env, ...goEnv(s), GOFLAGS: '-modcacherw' },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  // One JSON object per module, concatenated.
  const infos = (r.stdout.match(/^\{[\s\S]*?^\}/gm) ?? []).map((j) => JSON.parse(j) as ModuleInfo);
  if (infos.length === 0) throw new ProvisionError(`go mod download ${modules[0]} failed:\n${r.stderr.slice(-2000)}`);
  return infos;
}

class NotServed extends Error {}

const sleepSync = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs `build` under a lock file in `home`, so a test run and `stack:up` started together do not
 * both spend a quarter of an hour building the same thing: the second waits for the first.
 */
export function withBuildLock<T>(home: string, what: string, log: (m: string) => void, done: () => T | undefined, build: () => T): T {
  fs.mkdirSync(home, { recursive: true });
  const lock = path.join(home, 'build.lock');
  for (;;) {
    const finished = done();
    if (finished) return finished;
    try {
      fs.writeFileSync(lock, String(process.pid), { flag: 'wx' });
      break;
    } catch {
      const holder = Number(fs.readFileSync(lock, 'utf8').trim());
      if (!Number.isInteger(holder) || holder <= 0 || !alive(holder)) {
        fs.rmSync(lock, { force: true });
        continue;
      }
      log(`another process (pid ${holder}) is building ${what}; waiting for it (log: ${path.join(home, 'build.log')})`);
      while (alive(holder) && fs.existsSync(lock)) sleepSync(2_000);
    }
  }
  try {
    return done() ?? build();
  } finally {
    fs.rmSync(lock, { force: true });
  }
}

/** Runs a long command with its output in `logFile`; on failure the error quotes the end of it. */
export function runLogged(what: string, cmd: string, args: string[], logFile: string, opts: { cwd?: string; env: NodeJS.ProcessEnv }): void {
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  const out = fs.openSync(logFile, 'w');
  fs.writeSync(out, `$ ${cmd} ${args.map((a) => (/\s/.test(a) ? `'${a}'` : a)).join(' ')}\n`);
  const r = spawnSync(cmd, args, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  if (r.status !== 0) {
    const tail = fs.readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-30).join('\n');
    throw new ProvisionError(`${what} failed (exit ${r.status ?? r.signal}); full log: ${logFile}\n${tail}`);
  }
}

/** `-X` flags that stamp a release into a binary; without them it reports v0.0.0-master and kubectl and Helm cannot parse it. */
export function kubeVersionLdflags(version: string): string[] {
  const [major, minor] = version.split('.');
  return ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version'].flatMap((pkg) => [
    `-X ${pkg}.gitVersion=v${version}`,
    `-X ${pkg}.gitMajor=${major}`,
    `-X ${pkg}.gitMinor=${minor}`,
    `-X ${pkg}.gitTreeState=clean`,
  ]);
}

/**
 * `k8s.io/kubernetes` cannot be `go install`ed: its go.mod points the staging modules (k8s.io/api,
 * client-go, ...) at local directories. A throwaway wrapper module requires it and replaces each
 * staging module with its published v0 version; its `go` and `godebug` lines are copied so the
 * binaries keep upstream's GODEBUG defaults.
 */
function wrapperGoMod(version: string, upstreamGoMod: string): string {
  const staging = [...upstreamGoMod.matchAll(/^\s*(k8s\.io\/[\w.-]+)\s+=>\s+\.\/staging\//gm)].map((m) => m[1]!);
  if (staging.length === 0) throw new ProvisionError(`k8s.io/kubernetes v${version}: no staging modules in its go.mod`);
  const keep = upstreamGoMod.split('\n').filter((l) => /^(go|godebug) /.test(l));
  const v0 = `v0.${version.split('.').slice(1).join('.')}`;
  return [
    'module userforge.local/kubernetes-build',
    '',
    ...keep,
    '',
    `require k8s.io/kubernetes v${version}`,
    '',
    'replace (',
    ...staging.map((m) => `\t${m} => ${m} ${v0}`),
    ')',
    '',
  ].join('\n');
}

function stagingModules(goMod: string, version: string): string[] {
  const v0 = `v0.${version.split('.').slice(1).join('.')}`;
  return [...goMod.matchAll(/^\s*(k8s\.io\/[\w.-]+)\s+=>\s+\.\/staging\//gm)]
    .map((m) => m[1]!)
    // Examples, never imported by the commands we build.
    .filter((m) => !m.startsWith('k8s.io/sample-'))
    .map((m) => `${m}@${v0}`);
}

function buildKubernetes(s: StackSettings, version: string, go: string, log: (m: string) => void): KubeInstall {
  const home = kubeHome(s, version);
  const [k8s] = download(go, s, [`k8s.io/kubernetes@v${version}`]);
  if (!k8s?.GoMod || k8s.Error) throw new NotServed(`k8s.io/kubernetes v${version}: ${k8s?.Error ?? 'not downloaded'}`);
  const upstreamGoMod = fs.readFileSync(k8s.GoMod, 'utf8');
  // The proxy has not always served every staging module of a release: check before a long build.
  const refused = download(go, s, stagingModules(upstreamGoMod, version)).filter((m) => m.Error);
  if (refused.length > 0) throw new NotServed(refused.map((m) => `${m.Path}@${m.Version}: ${m.Error}`).join('\n'));

  const src = path.join(home, 'src');
  fs.mkdirSync(src, { recursive: true });
  fs.writeFileSync(path.join(src, 'go.mod'), wrapperGoMod(version, upstreamGoMod));
  const tmpBin = path.join(home, `bin.tmp-${process.pid}`);
  const logFile = path.join(home, 'build.log');
  const started = Date.now();
  log(`building Kubernetes v${version} (${KUBE_BINARIES.join(', ')}) into ${path.join(home, 'bin')}`);
  log(`first run only: about 16 minutes on 2 cores, 2 GB of memory; progress in ${logFile}`);
  runLogged(
    `building Kubernetes v${version}`,
    go,
    [
      'build',
      '-trimpath',
      '-ldflags',
      ['-s', '-w', ...kubeVersionLdflags(version)].join(' '),
      '-o',
      `${tmpBin}/`,
      ...KUBE_BINARIES.map((b) => `k8s.io/kubernetes/cmd/${b}`),
    ],
    logFile,
    { cwd: src, env: goEnv(s) },
  );
  try {
    fs.renameSync(tmpBin, path.join(home, 'bin'));
  } catch {
    // Another provisioning run finished first; its binaries are the same.
    fs.rmSync(tmpBin, { recursive: true, force: true });
  }
  log(`built Kubernetes v${version} in ${Math.round((Date.now() - started) / 1000)} s`);
  const done = installed(s, version);
  if (!done) throw new ProvisionError(`Kubernetes build finished but ${path.join(home, 'bin')} lacks binaries; see ${logFile}`);
  return done;
}

/**
 * Kubernetes' binaries, built once from the Go module proxy and cached per release. Falls back to
 * USERFORGE_KUBERNETES_FALLBACK_VERSION when the proxy does not serve the configured release.
 */
export function provisionKubernetes(s: StackSettings, log: (m: string) => void): KubeInstall {
  const primary = s.USERFORGE_KUBERNETES_VERSION;
  const fallback = s.USERFORGE_KUBERNETES_FALLBACK_VERSION;
  const cached = installed(s, primary);
  if (cached) return cached;
  const go = requireTool('go', GO_HINT);
  const build = (version: string) =>
    withBuildLock(kubeHome(s, version), `Kubernetes v${version}`, log, () => installed(s, version), () => buildKubernetes(s, version, go, log));
  try {
    return build(primary);
  } catch (err) {
    if (!(err instanceof NotServed)) throw err;
    if (fallback === primary) throw new ProvisionError(`the Go module proxy does not serve Kubernetes v${primary}:\n${err.message}`);
    log(`the Go module proxy does not serve Kubernetes v${primary} (${err.message.split('\n')[0]}); using v${fallback}`);
    try {
      return build(fallback);
    } catch (again) {
      if (!(again instanceof NotServed)) throw again;
      throw new ProvisionError(
        `the Go module proxy serves neither Kubernetes v${primary} nor v${fallback}:\n${again.message}\n` +
          'Pick another 1.33 patch release with USERFORGE_KUBERNETES_VERSION.',
      );
    }
  }
}

/**
 * Helm 3 from its Go module. The ldflags are those of Helm's own Makefile: its version, and the
 * Kubernetes version `helm template` and `helm lint` assume, taken from the client-go it is built on.
 */
export function provisionHelm(s: StackSettings, log: (m: string) => void): string {
  const version = s.USERFORGE_HELM_VERSION;
  const home = path.join(s.USERFORGE_CACHE_DIR, `helm-v${version}`);
  const bin = path.join(home, 'bin', 'helm');
  if (fs.existsSync(bin)) return bin;
  return withBuildLock(home, `Helm v${version}`, log, () => (fs.existsSync(bin) ? bin : undefined), () => buildHelm(s, version, home, bin, log));
}

function buildHelm(s: StackSettings, version: string, home: string, bin: string, log: (m: string) => void): string {
  const go = requireTool('go', GO_HINT);
  const [helm] = download(go, s, [`helm.sh/helm/v3@v${version}`]);
  if (!helm?.GoMod || helm.Error) throw new ProvisionError(`the Go module proxy does not serve Helm v${version}: ${helm?.Error}`);
  const clientGo = /^\s*k8s\.io\/client-go v0\.(\d+)\./m.exec(fs.readFileSync(helm.GoMod, 'utf8'));
  const kubeMinor = clientGo?.[1] ?? '33';
  const tmpBin = path.join(home, `bin.tmp-${process.pid}`);
  log(`building Helm v${version} into ${bin} (first run only, a few minutes)`);
  const ldflags = [
    '-s',
    '-w',
    `-X helm.sh/helm/v3/internal/version.version=v${version}`,
    '-X helm.sh/helm/v3/internal/version.gitTreeState=clean',
    ...['pkg/lint/rules', 'pkg/chartutil'].flatMap((pkg) => [
      `-X helm.sh/helm/v3/${pkg}.k8sVersionMajor=1`,
      `-X helm.sh/helm/v3/${pkg}.k8sVersionMinor=${kubeMinor}`,
    ]),
  ].join(' ');
  runLogged(`building Helm v${version}`, go, ['install', '-trimpath', '-ldflags', ldflags, `helm.sh/helm/v3/cmd/helm@v${version}`], path.join(home, 'build.log'), {
    cwd: os.tmpdir(),
    // `go install pkg@version` ignores any go.mod, so -mod=mod does not apply.
    env: { ...goEnv(s), GOFLAGS: '-modcacherw', GOBIN: tmpBin },
  });
  try {
    fs.renameSync(tmpBin, path.dirname(bin));
  } catch {
    fs.rmSync(tmpBin, { recursive: true, force: true });
  }
  return bin;
}

/** Debian's etcd (package etcd-server); bootstrap installs it without starting a system etcd. */
export function provisionEtcd(): string {
  return requireTool('etcd', 'Run `bash scripts/bootstrap.sh` (installs the Debian package etcd-server) or install it yourself.');
}

export function provisionOpenssl(): string {
  return requireTool('openssl', 'Install openssl (Debian: openssl); it makes the control plane\'s certificates.');
}
