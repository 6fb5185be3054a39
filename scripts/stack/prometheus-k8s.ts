/**
 * Prometheus with Kubernetes service discovery. Debian's package is built without it (its
 * `kubernetes_sd_configs` is an unknown field), so when the stack must discover pods through an API
 * server, Prometheus is built once from its Go module into the cache. Its go.mod has `replace`
 * lines, which `go install pkg@version` refuses: a throwaway wrapper module carries them.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GO_HINT, download, goEnv, runLogged, withBuildLock } from './kube/provision';
import { ProvisionError, requireTool } from './provision';
import { loadStackSettings, type StackSettings } from './settings';

/** Prometheus 2.x releases are the Go module's v0.x versions (2.54.1 is v0.54.1). */
const moduleVersion = (release: string) => `v0.${release.split('.').slice(1).join('.')}`;

/** The `replace` and `exclude` directives of a go.mod, blocks included. */
export function replaceAndExclude(goMod: string): string {
  return [...goMod.matchAll(/^(?:replace|exclude)\s*(?:\([\s\S]*?^\)|.*)$/gm)].map((m) => m[0]).join('\n');
}

export function provisionPrometheusKubernetes(s: StackSettings, log: (m: string) => void): string {
  const release = s.USERFORGE_PROMETHEUS_KUBERNETES_VERSION;
  const home = path.join(s.USERFORGE_CACHE_DIR, `prometheus-v${release}`);
  const bin = path.join(home, 'bin', 'prometheus');
  if (fs.existsSync(bin)) return bin;
  return withBuildLock(home, `Prometheus v${release}`, log, () => (fs.existsSync(bin) ? bin : undefined), () => {
    const go = requireTool('go', GO_HINT);
    const version = moduleVersion(release);
    const [mod] = download(go, s, [`github.com/prometheus/prometheus@${version}`]);
    if (!mod?.GoMod || mod.Error) throw new ProvisionError(`the Go module proxy does not serve Prometheus ${version}: ${mod?.Error}`);
    const wrapper = fs.mkdtempSync(path.join(os.tmpdir(), 'userforge-prometheus-'));
    try {
      fs.writeFileSync(
        path.join(wrapper, 'go.mod'),
        `module userforge.local/prometheus\n\ngo 1.22\n\nrequire github.com/prometheus/prometheus ${version}\n\n${replaceAndExclude(fs.readFileSync(mod.GoMod, 'utf8'))}\n`,
      );
      fs.writeFileSync(path.join(wrapper, 'tools.go'), '//go:build tools\n\npackage tools\n\nimport _ "github.com/prometheus/prometheus/cmd/prometheus"\n');
      log(`building Prometheus v${release} with Kubernetes service discovery into ${bin} (first run only, about 6 minutes on 2 cores)`);
      const tmp = `${bin}.tmp-${process.pid}`;
      fs.mkdirSync(path.dirname(bin), { recursive: true });
      const ldflags = `-s -w -X github.com/prometheus/common/version.Version=${release}`;
      runLogged(`building Prometheus v${release}`, go, ['build', '-trimpath', '-ldflags', ldflags, '-o', tmp, 'github.com/prometheus/prometheus/cmd/prometheus'], path.join(home, 'build.log'), {
        cwd: wrapper,
        env: goEnv(s),
      });
      fs.renameSync(tmp, bin);
      return bin;
    } finally {
      fs.rmSync(wrapper, { recursive: true, force: true });
    }
  });
}

if (require.main === module) {
  console.log(provisionPrometheusKubernetes(loadStackSettings(), (m) => console.error(`[provision] ${m}`)));
}
