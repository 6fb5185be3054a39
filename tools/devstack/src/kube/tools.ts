import fs from 'node:fs';
import path from 'node:path';
import type { Log } from '../build-log';
import { download, goBuild, goEnv, goInstallEnv } from '../go-build';
import { ProvisionError } from '../prerequisites';
import type { StackSettings } from '../stack/settings';

/** Where a Go-built tool lives in the cache: `<cache>/<name>-v<version>/bin/<name>`. */
export function toolHome(s: StackSettings, name: 'helm-docs' | 'skaffold'): { home: string; bin: string; version: string } {
  const version = name === 'helm-docs' ? s.USERFORGE_HELM_DOCS_VERSION : s.USERFORGE_SKAFFOLD_VERSION;
  const home = path.join(s.USERFORGE_CACHE_DIR, `${name}-v${version}`);
  return { home, bin: path.join(home, 'bin', name), version };
}

/** The cached binary, if it was built (for tests, which must not start a build). */
export function installedTool(s: StackSettings, name: 'helm-docs' | 'skaffold'): string | undefined {
  const { bin } = toolHome(s, name);
  return fs.existsSync(bin) ? bin : undefined;
}

/** helm-docs, which writes the chart README's values table from the comments in values.yaml. */
export function provisionHelmDocs(s: StackSettings, log: Log): string {
  const { home, version } = toolHome(s, 'helm-docs');
  return goBuild({
    what: `helm-docs v${version}`,
    home,
    estimate: 'about 1 min',
    log,
    done: () => installedTool(s, 'helm-docs'),
    args: () => ['install', '-trimpath', '-ldflags', `-s -w -X main.version=${version}`, `github.com/norwoodj/helm-docs/cmd/helm-docs@v${version}`],
    env: (out) => goInstallEnv(s, out),
  });
}

/**
 * Skaffold's go.mod has `replace` lines, so `go install ...@version` refuses it. A throwaway wrapper
 * module requires it and repeats those lines (they pin versions of docker, viper and friends that
 * skaffold's code is written against); its `go` line is copied so the build uses upstream's language level.
 */
export function skaffoldWrapperGoMod(version: string, upstreamGoMod: string): string {
  const replaces = [...upstreamGoMod.matchAll(/^replace\s+(\S+\s+=>\s+\S+\s+\S+)\s*$/gm)].map((m) => m[1]!);
  const block = [...upstreamGoMod.matchAll(/^replace\s*\(\n([\s\S]*?)^\)/gm)].flatMap((m) =>
    m[1]!.split('\n').map((l) => l.replace(/\/\/.*$/, '').trim()).filter((l) => l.includes('=>')),
  );
  const all = [...replaces, ...block];
  if (all.some((r) => /=>\s+\.{1,2}\//.test(r))) {
    throw new ProvisionError(`skaffold v${version}: its go.mod replaces a module with a local path; a wrapper module cannot build it`);
  }
  const goLine = upstreamGoMod.split('\n').filter((l) => /^(go|godebug) /.test(l));
  return [
    'module userforge.local/skaffold-build',
    '',
    ...goLine,
    '',
    `require github.com/GoogleContainerTools/skaffold/v2 v${version}`,
    '',
    ...(all.length > 0 ? ['replace (', ...all.map((r) => `\t${r}`), ')', ''] : []),
  ].join('\n');
}

/** Skaffold (`skaffold dev` / `run` on kind, `skaffold render` in the tests), built once and cached per release. */
export function provisionSkaffold(s: StackSettings, log: Log): string {
  const { home, version } = toolHome(s, 'skaffold');
  return goBuild({
    what: `skaffold v${version}`,
    home,
    estimate: 'about 7 min',
    log,
    done: () => installedTool(s, 'skaffold'),
    prepare(go) {
      const [mod] = download(go, s, [`github.com/GoogleContainerTools/skaffold/v2@v${version}`]);
      if (!mod?.GoMod || mod.Error) throw new ProvisionError(`the Go module proxy does not serve skaffold v${version}: ${mod?.Error}`);
      const src = path.join(home, 'src');
      fs.mkdirSync(src, { recursive: true });
      fs.writeFileSync(path.join(src, 'go.mod'), skaffoldWrapperGoMod(version, fs.readFileSync(mod.GoMod, 'utf8')));
      return src;
    },
    // The ldflags are those of skaffold's Makefile, so `skaffold version` reports the release.
    args: (out) => [
      'build',
      '-trimpath',
      '-ldflags',
      `-s -w -X github.com/GoogleContainerTools/skaffold/v2/pkg/skaffold/version.version=v${version}`,
      '-o',
      path.join(out, 'skaffold'),
      'github.com/GoogleContainerTools/skaffold/v2/cmd/skaffold',
    ],
    env: () => goEnv(s),
  });
}
