import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ProvisionError, requireTool } from '../provision';
import type { StackSettings } from '../settings';
import { GO_HINT, download, goEnv, runLogged, withBuildLock } from './provision';

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

/** Moves a finished `bin.tmp-<pid>` into place; a concurrent run that finished first built the same thing. */
function publish(tmpBin: string, bin: string): void {
  try {
    fs.renameSync(tmpBin, path.dirname(bin));
  } catch {
    fs.rmSync(tmpBin, { recursive: true, force: true });
  }
}

/** helm-docs, which writes the chart README's values table from the comments in values.yaml. */
export function provisionHelmDocs(s: StackSettings, log: (m: string) => void): string {
  const { home, bin, version } = toolHome(s, 'helm-docs');
  if (fs.existsSync(bin)) return bin;
  return withBuildLock(home, `helm-docs v${version}`, log, () => installedTool(s, 'helm-docs'), () => {
    const go = requireTool('go', GO_HINT);
    const tmpBin = path.join(home, `bin.tmp-${process.pid}`);
    log(`building helm-docs v${version} into ${bin} (first run only, about a minute)`);
    runLogged(
      `building helm-docs v${version}`,
      go,
      ['install', '-trimpath', '-ldflags', `-s -w -X main.version=${version}`, `github.com/norwoodj/helm-docs/cmd/helm-docs@v${version}`],
      path.join(home, 'build.log'),
      // `go install pkg@version` ignores any go.mod, so -mod=mod does not apply.
      { cwd: os.tmpdir(), env: { ...goEnv(s), GOFLAGS: '-modcacherw', GOBIN: tmpBin } },
    );
    publish(tmpBin, bin);
    return bin;
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

function buildSkaffold(s: StackSettings, log: (m: string) => void): string {
  const { home, bin, version } = toolHome(s, 'skaffold');
  const go = requireTool('go', GO_HINT);
  const [mod] = download(go, s, [`github.com/GoogleContainerTools/skaffold/v2@v${version}`]);
  if (!mod?.GoMod || mod.Error) throw new ProvisionError(`the Go module proxy does not serve skaffold v${version}: ${mod?.Error}`);
  const src = path.join(home, 'src');
  fs.mkdirSync(src, { recursive: true });
  fs.writeFileSync(path.join(src, 'go.mod'), skaffoldWrapperGoMod(version, fs.readFileSync(mod.GoMod, 'utf8')));
  const tmpBin = path.join(home, `bin.tmp-${process.pid}`);
  const logFile = path.join(home, 'build.log');
  const started = Date.now();
  log(`building skaffold v${version} into ${bin}`);
  log(`first run only: about 7 minutes on 2 cores; progress in ${logFile}`);
  // The ldflags are those of skaffold's Makefile, so `skaffold version` reports the release.
  const ldflags = `-s -w -X github.com/GoogleContainerTools/skaffold/v2/pkg/skaffold/version.version=v${version}`;
  runLogged(
    `building skaffold v${version}`,
    go,
    ['build', '-trimpath', '-ldflags', ldflags, '-o', path.join(tmpBin, 'skaffold'), 'github.com/GoogleContainerTools/skaffold/v2/cmd/skaffold'],
    logFile,
    { cwd: src, env: goEnv(s) },
  );
  publish(tmpBin, bin);
  log(`built skaffold v${version} in ${Math.round((Date.now() - started) / 1000)} s`);
  return bin;
}

/** Skaffold (`skaffold dev` / `run` on kind, `skaffold render` in the tests), built once and cached per release. */
export function provisionSkaffold(s: StackSettings, log: (m: string) => void): string {
  const { home, bin, version } = toolHome(s, 'skaffold');
  if (fs.existsSync(bin)) return bin;
  return withBuildLock(home, `skaffold v${version}`, log, () => installedTool(s, 'skaffold'), () => buildSkaffold(s, log));
}
