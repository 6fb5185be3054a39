import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Log } from '../build-log';
import { builtBinary, download, goBuild, goEnv, goInstallEnv } from '../go-build';
import { ProvisionError, requireTool } from '../prerequisites';
import type { StackSettings } from '../stack/settings';

/** Every binary of a control plane and a node, built together so they share compiled packages. */
export const KUBE_BINARIES = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubelet', 'kube-proxy', 'kubectl'] as const;
export type KubeBinary = (typeof KUBE_BINARIES)[number];

export interface KubeInstall {
  /** The release actually built: the configured one, or the fallback when the proxy refuses it. */
  version: string;
  bin(name: KubeBinary): string;
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

class NotServed extends Error {}

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

function buildKubernetes(s: StackSettings, version: string, log: Log): KubeInstall {
  const home = kubeHome(s, version);
  return goBuild({
    what: `Kubernetes v${version} (${KUBE_BINARIES.join(', ')})`,
    home,
    estimate: 'about 16 min',
    log,
    done: () => installed(s, version),
    prepare(go) {
      const [k8s] = download(go, s, [`k8s.io/kubernetes@v${version}`]);
      if (!k8s?.GoMod || k8s.Error) throw new NotServed(`k8s.io/kubernetes v${version}: ${k8s?.Error ?? 'not downloaded'}`);
      const upstreamGoMod = fs.readFileSync(k8s.GoMod, 'utf8');
      // The proxy has not always served every staging module of a release: check before a long build.
      const refused = download(go, s, stagingModules(upstreamGoMod, version)).filter((m) => m.Error);
      if (refused.length > 0) throw new NotServed(refused.map((m) => `${m.Path}@${m.Version}: ${m.Error}`).join('\n'));
      const src = path.join(home, 'src');
      fs.mkdirSync(src, { recursive: true });
      fs.writeFileSync(path.join(src, 'go.mod'), wrapperGoMod(version, upstreamGoMod));
      return src;
    },
    args: (out) => ['build', '-trimpath', '-ldflags', ['-s', '-w', ...kubeVersionLdflags(version)].join(' '), '-o', `${out}/`, ...KUBE_BINARIES.map((b) => `k8s.io/kubernetes/cmd/${b}`)],
    env: () => goEnv(s),
  });
}

/**
 * Kubernetes' binaries, built once from the Go module proxy and cached per release. Falls back to
 * USERFORGE_KUBERNETES_FALLBACK_VERSION when the proxy does not serve the configured release.
 */
export function provisionKubernetes(s: StackSettings, log: Log): KubeInstall {
  const primary = s.USERFORGE_KUBERNETES_VERSION;
  const fallback = s.USERFORGE_KUBERNETES_FALLBACK_VERSION;
  const cached = installed(s, primary);
  if (cached) return cached;
  const build = (version: string) => buildKubernetes(s, version, log);
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
export function provisionHelm(s: StackSettings, log: Log): string {
  const version = s.USERFORGE_HELM_VERSION;
  const home = path.join(s.USERFORGE_CACHE_DIR, `helm-v${version}`);
  let ldflags = '';
  return goBuild({
    what: `Helm v${version}`,
    home,
    estimate: 'a few minutes',
    log,
    done: builtBinary(home, 'helm'),
    prepare(go) {
      const [helm] = download(go, s, [`helm.sh/helm/v3@v${version}`]);
      if (!helm?.GoMod || helm.Error) throw new ProvisionError(`the Go module proxy does not serve Helm v${version}: ${helm?.Error}`);
      const clientGo = /^\s*k8s\.io\/client-go v0\.(\d+)\./m.exec(fs.readFileSync(helm.GoMod, 'utf8'));
      const kubeMinor = clientGo?.[1] ?? '33';
      ldflags = [
        '-s',
        '-w',
        `-X helm.sh/helm/v3/internal/version.version=v${version}`,
        '-X helm.sh/helm/v3/internal/version.gitTreeState=clean',
        ...['pkg/lint/rules', 'pkg/chartutil'].flatMap((pkg) => [
          `-X helm.sh/helm/v3/${pkg}.k8sVersionMajor=1`,
          `-X helm.sh/helm/v3/${pkg}.k8sVersionMinor=${kubeMinor}`,
        ]),
      ].join(' ');
      return os.tmpdir();
    },
    args: () => ['install', '-trimpath', '-ldflags', ldflags, `helm.sh/helm/v3/cmd/helm@v${version}`],
    env: (out) => goInstallEnv(s, out),
  });
}

/** Debian's etcd (package etcd-server); bootstrap installs it without starting a system etcd. */
export function provisionEtcd(): string {
  return requireTool('etcd', 'Run `bash scripts/bootstrap.sh` (installs the Debian package etcd-server) or install it yourself.');
}

export function provisionOpenssl(): string {
  return requireTool('openssl', 'Install openssl (Debian: openssl); it makes the control plane\'s certificates.');
}
