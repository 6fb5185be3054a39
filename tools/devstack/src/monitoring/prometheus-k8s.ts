/**
 * Prometheus with Kubernetes service discovery. Debian's package is built without it (its
 * `kubernetes_sd_configs` is an unknown field), so the Prometheus the Prometheus Operator runs on
 * kind (monitoring/) is built once from its Go module into the cache. Its go.mod has `replace`
 * lines, which `go install pkg@version` refuses: a throwaway wrapper module carries them.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Log } from '../build-log';
import { builtBinary, download, goBuild, goEnv } from '../go-build';
import { ProvisionError } from '../prerequisites';
import type { StackSettings } from '../stack/settings';

/** Prometheus 2.x releases are the Go module's v0.x versions (2.54.1 is v0.54.1). */
const moduleVersion = (release: string) => `v0.${release.split('.').slice(1).join('.')}`;

/** The `replace` and `exclude` directives of a go.mod, blocks included. */
export function replaceAndExclude(goMod: string): string {
  return [...goMod.matchAll(/^(?:replace|exclude)\s*(?:\([\s\S]*?^\)|.*)$/gm)].map((m) => m[0]).join('\n');
}

export function provisionPrometheusKubernetes(s: StackSettings, log: Log): string {
  const release = s.USERFORGE_PROMETHEUS_KUBERNETES_VERSION;
  const home = path.join(s.USERFORGE_CACHE_DIR, `prometheus-v${release}`);
  const version = moduleVersion(release);
  let wrapper = '';
  return goBuild({
    what: `Prometheus v${release} with Kubernetes service discovery`,
    home,
    estimate: 'about 6 min',
    log,
    done: builtBinary(home, 'prometheus'),
    prepare(go) {
      const [mod] = download(go, s, [`github.com/prometheus/prometheus@${version}`]);
      if (!mod?.GoMod || mod.Error) throw new ProvisionError(`the Go module proxy does not serve Prometheus ${version}: ${mod?.Error}`);
      wrapper = fs.mkdtempSync(path.join(os.tmpdir(), 'userforge-prometheus-'));
      fs.writeFileSync(
        path.join(wrapper, 'go.mod'),
        `module userforge.local/prometheus\n\ngo 1.22\n\nrequire github.com/prometheus/prometheus ${version}\n\n${replaceAndExclude(fs.readFileSync(mod.GoMod, 'utf8'))}\n`,
      );
      fs.writeFileSync(path.join(wrapper, 'tools.go'), '//go:build tools\n\npackage tools\n\nimport _ "github.com/prometheus/prometheus/cmd/prometheus"\n');
      return wrapper;
    },
    args: (out) => ['build', '-trimpath', '-ldflags', `-s -w -X github.com/prometheus/common/version.Version=${release}`, '-o', path.join(out, 'prometheus'), 'github.com/prometheus/prometheus/cmd/prometheus'],
    env: () => goEnv(s),
    cleanup: () => wrapper && fs.rmSync(wrapper, { recursive: true, force: true }),
  });
}
