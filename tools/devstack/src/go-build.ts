/**
 * Every Go program the platform needs is built here from the Go module proxy, once per release, into
 * a directory of the userforge cache: `go build` (or `go install`) writes into `<home>/bin.tmp-<pid>`,
 * which becomes `<home>/bin` only when the build succeeded, under a lock so that concurrent runs
 * build it once. Its output goes to `<home>/build.log`.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runLogged, withBuildLock, type Log } from './build-log';
import { ProvisionError, requireTool } from './prerequisites';
import type { StackSettings } from './stack/settings';

export const GO_HINT = 'Install Go 1.24+ (run `bash scripts/bootstrap.sh` or see docs/local-stack.md); it builds the servers and tools from the Go module proxy.';

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

/** `go install pkg@version` into `bin`: it ignores any go.mod, so -mod=mod does not apply. */
export const goInstallEnv = (s: StackSettings, bin: string): NodeJS.ProcessEnv => ({ ...goEnv(s), GOFLAGS: '-modcacherw', GOBIN: bin });

export interface ModuleInfo {
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

/**
 * A writable copy of a module from Go's module cache (whose files are read-only), to build in place
 * a module that `go install pkg@version` refuses (a `replace` line, a file it must be given).
 */
export function copyGoModule(moduleDir: string, dest: string): void {
  fs.rmSync(dest, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  fs.cpSync(moduleDir, dest, { recursive: true });
  fs.chmodSync(dest, 0o755);
  for (const entry of fs.readdirSync(dest, { recursive: true, withFileTypes: true })) {
    fs.chmodSync(path.join(entry.parentPath, entry.name), entry.isDirectory() ? 0o755 : 0o644);
  }
}

/** `<home>/bin/<name>` when it was built: the `done` of a build of one binary. */
export const builtBinary = (home: string, name: string) => (): string | undefined => {
  const bin = path.join(home, 'bin', name);
  return fs.existsSync(bin) ? bin : undefined;
};

export interface GoBuild<T> {
  /** What is built, in the log lines: `Traefik v3.6.12`. */
  what: string;
  /** The cache directory of this release: the result goes to `<home>/bin`. */
  home: string;
  /** How long it usually takes on 2 cores (`about 7 min`), for the start line. */
  estimate: string;
  /** The result when it is complete in the cache (a built binary; the build's other outputs too). */
  done(): T | undefined;
  /** The go command's arguments, writing into `out` (`-o <out>/`, or GOBIN=<out> in `env`). */
  args(out: string): string[];
  /** Go's environment on top of this process's. */
  env(out: string): NodeJS.ProcessEnv;
  /** Makes what the build needs (a wrapper module, a patched copy) and returns where go runs; default a temporary directory. */
  prepare?(go: string): string;
  /** Runs after the build, before `out` becomes `<home>/bin` (a rename, a file kept beside it). */
  finish?(out: string): void;
  /** Runs after the build, whether it worked or not (a source copy removed). */
  cleanup?(): void;
  log: Log;
}

/** The one way a Go program is built into the cache (see the top of this file); returns `done()`. */
export function goBuild<T>(b: GoBuild<T>): T {
  return withBuildLock(b.home, b.what, b.log, b.done, () => {
    const go = requireTool('go', GO_HINT);
    const out = path.join(b.home, `bin.tmp-${process.pid}`);
    const bin = path.join(b.home, 'bin');
    try {
      const cwd = b.prepare?.(go) ?? os.tmpdir();
      fs.rmSync(out, { recursive: true, force: true });
      fs.mkdirSync(out, { recursive: true });
      runLogged({ what: b.what, cmd: go, args: b.args(out), logFile: path.join(b.home, 'build.log'), cwd, env: b.env(out), estimate: b.estimate, log: b.log });
      b.finish?.(out);
      // Under the lock a bin/ that is there is incomplete (done() said so): the new build replaces it.
      fs.rmSync(bin, { recursive: true, force: true });
      fs.renameSync(out, bin);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
      b.cleanup?.();
    }
    const result = b.done();
    if (!result) throw new ProvisionError(`the build of ${b.what} finished but ${bin} lacks what it should hold; see ${path.join(b.home, 'build.log')}`);
    return result;
  });
}
