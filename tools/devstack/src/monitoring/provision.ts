/**
 * The Prometheus Operator and the Prometheus it runs, as images made here: nothing can be pulled
 * from a container registry, so the operator and its config reloader are built from the operator's
 * Go module, Prometheus is the one prometheus-k8s.ts builds, and each goes into a
 * minimal image (the static binary, CA certificates, /etc/passwd) exported as a docker-archive
 * that `kind load image-archive` takes. The CRDs come from the same module, so they always match
 * the operator. Everything is cached per operator release.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildah, imageExists, requireBuildah, sh } from '../images/buildah';
import type { Log } from '../build-log';
import { download, goBuild, goEnv } from '../go-build';
import { provisionPrometheusKubernetes } from './prometheus-k8s';
import { ProvisionError } from '../prerequisites';
import type { StackSettings } from '../stack/settings';

export const OPERATOR_VERSION = '0.85.0';
const OPERATOR_MODULE = 'github.com/prometheus-operator/prometheus-operator';
/** The operator's two programs, as its Makefile names them (`make operator prometheus-config-reloader`). */
const OPERATOR_COMMANDS = { operator: 'cmd/operator', 'prometheus-config-reloader': 'cmd/prometheus-config-reloader' } as const;
type OperatorBinary = keyof typeof OPERATOR_COMMANDS;

export interface MonitoringImage {
  /** The reference pods name; `localhost/` keeps the container runtime from looking it up in a registry. */
  ref: string;
  /** A docker-archive of it, for `kind load image-archive`. */
  archive: string;
}

export interface MonitoringArtefacts {
  operatorVersion: string;
  /** The Prometheus release in the Prometheus image (`v2.54.1`), as a Prometheus resource's `version`. */
  prometheusVersion: string;
  /** The monitoring.coreos.com CRDs of this operator release, one file each. */
  crds: string;
  /** Upstream's example RBAC and Deployment of the operator (`example/rbac/prometheus-operator`). */
  operatorManifests: string;
  /** Upstream's example ClusterRole of a Prometheus server (`example/rbac/prometheus`). */
  prometheusManifests: string;
  images: { operator: MonitoringImage; reloader: MonitoringImage; prometheus: MonitoringImage };
}

export const operatorHome = (s: StackSettings) => path.join(s.USERFORGE_CACHE_DIR, `prometheus-operator-v${OPERATOR_VERSION}`);

/** The Prometheus releases this operator release supports: `PrometheusCompatibilityMatrix` in its pkg/operator/defaults.go. */
export function compatiblePrometheusVersions(defaultsGo: string): string[] {
  const block = /PrometheusCompatibilityMatrix\s*=\s*\[\]string\s*\{([\s\S]*?)\}/.exec(defaultsGo)?.[1];
  if (!block) throw new ProvisionError('pkg/operator/defaults.go has no PrometheusCompatibilityMatrix');
  return [...block.matchAll(/"(v[\d.]+)"/g)].map((m) => m[1]!);
}

/**
 * The operator's go.mod points its own API and client modules at local directories, which the
 * module zip does not hold and `go install pkg@version` refuses: a throwaway wrapper module requires
 * the operator (whose published API and client modules then resolve) and keeps its `go` line.
 */
export function operatorWrapperGoMod(upstreamGoMod: string): string {
  const keep = upstreamGoMod.split('\n').filter((l) => /^(go|godebug) /.test(l));
  return ['module userforge.local/prometheus-operator-build', '', ...keep, '', `require ${OPERATOR_MODULE} v${OPERATOR_VERSION}`, ''].join('\n');
}

function builtBinaries(home: string): Record<OperatorBinary, string> | undefined {
  const bin = (name: OperatorBinary) => path.join(home, 'bin', name);
  const kept = ['crds', 'manifests', 'prometheus-versions.json'].map((f) => path.join(home, f));
  if (![...Object.keys(OPERATOR_COMMANDS).map((b) => bin(b as OperatorBinary)), ...kept].every((f) => fs.existsSync(f))) return undefined;
  return { operator: bin('operator'), 'prometheus-config-reloader': bin('prometheus-config-reloader') };
}

/** The operator and its reloader, with the CRDs and manifests of the same module kept beside them. */
function buildOperator(s: StackSettings, home: string, log: Log): Record<OperatorBinary, string> {
  const src = path.join(home, 'src');
  return goBuild({
    what: `the Prometheus Operator v${OPERATOR_VERSION} (operator, prometheus-config-reloader)`,
    home,
    estimate: 'about 5 min',
    log,
    done: () => builtBinaries(home),
    prepare(go) {
      const [mod] = download(go, s, [`${OPERATOR_MODULE}@v${OPERATOR_VERSION}`]);
      if (!mod?.Dir || !mod.GoMod || mod.Error) throw new ProvisionError(`the Go module proxy does not serve the Prometheus Operator v${OPERATOR_VERSION}: ${mod?.Error}`);
      const supported = compatiblePrometheusVersions(fs.readFileSync(path.join(mod.Dir, 'pkg/operator/defaults.go'), 'utf8'));
      fs.writeFileSync(path.join(home, 'prometheus-versions.json'), JSON.stringify(supported));
      // Keep what the install applies, so it does not depend on Go's module cache being kept.
      for (const [from, to] of [
        ['example/prometheus-operator-crd', 'crds'],
        ['example/rbac/prometheus-operator', 'manifests/operator'],
        ['example/rbac/prometheus', 'manifests/prometheus'],
      ] as const) {
        fs.rmSync(path.join(home, to), { recursive: true, force: true });
        fs.cpSync(path.join(mod.Dir, from), path.join(home, to), { recursive: true });
      }
      fs.mkdirSync(src, { recursive: true });
      fs.writeFileSync(path.join(src, 'go.mod'), operatorWrapperGoMod(fs.readFileSync(mod.GoMod, 'utf8')));
      const imports = Object.values(OPERATOR_COMMANDS).map((c) => `import _ "${OPERATOR_MODULE}/${c}"`);
      fs.writeFileSync(path.join(src, 'tools.go'), `//go:build tools\n\npackage tools\n\n${imports.join('\n')}\n`);
      return src;
    },
    // The version stamp of the operator's Makefile (GO_BUILD_LDFLAGS).
    args: (out) => [
      'build',
      '-trimpath',
      '-ldflags',
      `-s -w -X github.com/prometheus/common/version.Version=${OPERATOR_VERSION} -X github.com/prometheus/common/version.Branch=v${OPERATOR_VERSION}`,
      '-o',
      `${out}/`,
      ...Object.values(OPERATOR_COMMANDS).map((c) => `${OPERATOR_MODULE}/${c}`),
    ],
    env: () => goEnv(s),
  });
}

const PASSWD = 'root:x:0:0:root:/:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n';
const GROUP = 'root:x:0:\nnogroup:x:65534:\n';

/**
 * A minimal image around one static binary: what upstream's busybox-based images give a Go program
 * (CA certificates, the `nobody` user) without the busybox. `dirs` are made for the program's data.
 */
function binaryImage(ref: string, binary: string, name: string, config: { dirs?: string[]; workdir?: string; cmd?: string[] }): void {
  const rootfs = fs.mkdtempSync(path.join(os.tmpdir(), 'userforge-monitoring-image-'));
  try {
    for (const dir of ['bin', 'etc/ssl/certs', 'tmp']) fs.mkdirSync(path.join(rootfs, dir), { recursive: true });
    fs.chmodSync(path.join(rootfs, 'tmp'), 0o1777);
    fs.writeFileSync(path.join(rootfs, 'etc/passwd'), PASSWD);
    fs.writeFileSync(path.join(rootfs, 'etc/group'), GROUP);
    fs.copyFileSync('/etc/ssl/certs/ca-certificates.crt', path.join(rootfs, 'etc/ssl/certs/ca-certificates.crt'));
    fs.copyFileSync(binary, path.join(rootfs, 'bin', name));
    fs.chmodSync(path.join(rootfs, 'bin', name), 0o755);
    const container = buildah(['from', '--pull=never', 'scratch']).trim();
    try {
      // --preserve-ownership is not wanted: the temporary tree is owned by whoever runs this.
      buildah(['copy', '--chown', '0:0', container, `${rootfs}/.`, '/']);
      // The program's own directories belong to it, as upstream's `chown nobody` does.
      const empty = path.join(rootfs, '.empty');
      fs.mkdirSync(empty);
      for (const dir of config.dirs ?? []) buildah(['copy', '--chown', '65534:65534', container, empty, `/${dir}`]);
      buildah([
        'config',
        '--user', '65534:65534',
        '--entrypoint', JSON.stringify([`/bin/${name}`]),
        '--cmd', JSON.stringify(config.cmd ?? []),
        ...(config.workdir ? ['--workingdir', config.workdir] : []),
        '--label', 'org.opencontainers.image.source=userforge scripts/monitoring/provision.ts',
        container,
      ]);
      buildah(['commit', '--rm', container, ref]);
    } catch (e) {
      buildah(['rm', container]);
      throw e;
    }
  } finally {
    fs.rmSync(rootfs, { recursive: true, force: true });
  }
}

/** Builds the image unless its archive is newer than the binary (a rebuilt binary makes a new image). */
function ensureImage(home: string, ref: string, binary: string, name: string, config: Parameters<typeof binaryImage>[3], log: (m: string) => void): MonitoringImage {
  const archive = path.join(home, 'images', `${ref.replace(/^.*\//, '').replace(':', '-')}.docker.tar`);
  const fresh = fs.existsSync(archive) && fs.statSync(archive).mtimeMs >= fs.statSync(binary).mtimeMs;
  if (fresh) return { ref, archive };
  requireBuildah();
  log(`building the image ${ref} → ${archive}`);
  if (imageExists(ref)) buildah(['rmi', '--force', ref]);
  binaryImage(ref, binary, name, config);
  fs.mkdirSync(path.dirname(archive), { recursive: true });
  fs.rmSync(`${archive}.partial`, { force: true });
  buildah(['push', '--quiet', ref, `docker-archive:${archive}.partial:${ref}`], { timeout: 10 * 60_000 });
  fs.renameSync(`${archive}.partial`, archive);
  return { ref, archive };
}

/** Builds (once per release) the operator, its reloader and their images, and the Prometheus image. */
export function provisionMonitoring(s: StackSettings, log: (m: string) => void): MonitoringArtefacts {
  const home = operatorHome(s);
  const binaries = buildOperator(s, home, log);
  const prometheusVersion = `v${s.USERFORGE_PROMETHEUS_KUBERNETES_VERSION}`;
  const supported = JSON.parse(fs.readFileSync(path.join(home, 'prometheus-versions.json'), 'utf8')) as string[];
  if (!supported.includes(prometheusVersion)) {
    throw new ProvisionError(
      `the Prometheus Operator v${OPERATOR_VERSION} supports Prometheus ${supported[0]} to ${supported.at(-1)}, not ${prometheusVersion} (USERFORGE_PROMETHEUS_KUBERNETES_VERSION)`,
    );
  }
  const prometheus = provisionPrometheusKubernetes(s, log);
  return {
    operatorVersion: `v${OPERATOR_VERSION}`,
    prometheusVersion,
    crds: path.join(home, 'crds'),
    operatorManifests: path.join(home, 'manifests/operator'),
    prometheusManifests: path.join(home, 'manifests/prometheus'),
    images: {
      operator: ensureImage(home, `localhost/userforge/prometheus-operator:v${OPERATOR_VERSION}`, binaries.operator, 'operator', {}, log),
      reloader: ensureImage(home, `localhost/userforge/prometheus-config-reloader:v${OPERATOR_VERSION}`, binaries['prometheus-config-reloader'], 'prometheus-config-reloader', {}, log),
      // Upstream's Prometheus image: data in /prometheus (the operator mounts its storage there), config in /etc/prometheus.
      prometheus: ensureImage(home, `localhost/userforge/prometheus:${prometheusVersion}`, prometheus, 'prometheus', { dirs: ['prometheus', 'etc/prometheus'], workdir: '/prometheus' }, log),
    },
  };
}
