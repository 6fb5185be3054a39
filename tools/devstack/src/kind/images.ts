import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { withBuildLock } from '../build-log';
import { builtBinary, copyGoModule, download, goBuild, goEnv, goInstallEnv } from '../go-build';
import { ProvisionError, requireTool } from '../prerequisites';
import type { KindSettings } from './settings';
import { APT } from './tools';

/**
 * Nothing can be pulled here, so these images of the kind cluster are built locally with buildah
 * from static binaries, as archives: the pause image every pod sandbox runs, a busybox image for
 * pods that need a shell, CoreDNS (all three in the node image), and Traefik (the ingress controller).
 */
export interface ImageArchive {
  ref: string;
  file: string;
}

/** An image runs its entrypoint (arguments come from the pod), or a default command the pod may replace. */
type ImageRun = { entrypoint: string[] } | { cmd: string[] };


/** A pod sandbox's init process: waits for a signal, and reaps orphans (it is PID 1 of the pod). */
const PAUSE_C = `#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
static void bye(int sig) { (void)sig; _exit(0); }
static void reap(int sig) { (void)sig; while (waitpid(-1, NULL, WNOHANG) > 0) {} }
int main(void) {
  struct sigaction a = {0}, r = {0};
  a.sa_handler = bye; sigaction(SIGINT, &a, NULL); sigaction(SIGTERM, &a, NULL);
  r.sa_handler = reap; r.sa_flags = SA_NOCLDSTOP; sigaction(SIGCHLD, &r, NULL);
  for (;;) pause();
}
`;

/** The archives' cache; its name predates kind, and keeping it keeps the built images. */
export const imagesDir = (k: KindSettings) => path.join(k.stack.USERFORGE_CACHE_DIR, 'cluster-images');

export const IMAGE_REFS = {
  pause: 'localhost/userforge/pause:v1',
  busybox: 'localhost/userforge/busybox:v1',
  coredns: (version: string) => `localhost/userforge/coredns:v${version}`,
  traefik: (version: string) => `localhost/userforge/traefik:v${version}`,
};

function run(what: string, cmd: string, args: string[], opts: { cwd?: string } = {}): string {
  const r = spawnSync(cmd, args, { cwd: opts.cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new ProvisionError(`${what} failed (exit ${r.status ?? r.signal}): ${(r.stderr || r.stdout || '').trim().slice(-1500)}`);
  return r.stdout.trim();
}

/**
 * A `FROM scratch` image of `rootfs` (a directory copied to /) with `entrypoint`, written as a
 * docker-archive that keeps its name. buildah runs on a storage of its own, deleted afterwards,
 * so it neither needs nor changes the machine's container storage.
 */
function buildScratchImage(ref: string, rootfs: string, start: ImageRun, file: string): void {
  const buildah = requireTool('buildah', APT('buildah'));
  const storage = fs.mkdtempSync(path.join(os.tmpdir(), 'userforge-buildah-'));
  const b = (args: string[]) =>
    run(`buildah ${args[0]}`, buildah, ['--root', path.join(storage, 'root'), '--runroot', path.join(storage, 'run'), '--storage-driver', 'vfs', ...args]);
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    const ctr = b(['from', '--quiet', 'scratch']).split('\n').pop()!;
    b(['copy', ctr, `${rootfs}/`, '/']);
    b(['config', ...('entrypoint' in start ? ['--entrypoint', JSON.stringify(start.entrypoint)] : ['--cmd', JSON.stringify(start.cmd)]), ctr]);
    b(['commit', '--quiet', ctr, `docker-archive:${tmp}:${ref}`]);
    fs.renameSync(tmp, file);
  } finally {
    fs.rmSync(storage, { recursive: true, force: true });
    fs.rmSync(tmp, { force: true });
  }
}

/** Builds the archive once (under a lock, so parallel runs do not race) and returns it. */
function cachedImage(c: KindSettings, name: string, ref: string, log: (m: string) => void, fill: (rootfs: string) => ImageRun): ImageArchive {
  const home = imagesDir(c);
  const file = path.join(home, `${name}.tar`);
  const done = () => (fs.existsSync(file) ? { ref, file } : undefined);
  return withBuildLock(home, `image ${ref}`, log, done, () => {
    const rootfs = fs.mkdtempSync(path.join(os.tmpdir(), `userforge-${name}-`));
    try {
      log(`building image ${ref}`);
      buildScratchImage(ref, rootfs, fill(rootfs), file);
    } finally {
      fs.rmSync(rootfs, { recursive: true, force: true });
    }
    return { ref, file };
  });
}

/** The pause image: a 680 KB static C program. */
export function pauseImage(c: KindSettings, log: (m: string) => void): ImageArchive {
  return cachedImage(c, 'pause-v1', IMAGE_REFS.pause, log, (rootfs) => {
    const gcc = requireTool('gcc', APT('gcc (and libc6-dev)'));
    const src = path.join(rootfs, '..', `${path.basename(rootfs)}.c`);
    fs.writeFileSync(src, PAUSE_C);
    try {
      run('compiling pause', gcc, ['-static', '-Os', '-s', '-o', path.join(rootfs, 'pause'), src]);
    } finally {
      fs.rmSync(src, { force: true });
    }
    return { entrypoint: ['/pause'] };
  });
}

/** busybox with a link per applet (sh, nslookup, wget, ...): Debian's busybox-static binary. */
export function busyboxImage(c: KindSettings, log: (m: string) => void): ImageArchive {
  return cachedImage(c, 'busybox-v1', IMAGE_REFS.busybox, log, (rootfs) => {
    const busybox = requireTool('busybox', APT('busybox-static'));
    const bin = path.join(rootfs, 'bin');
    fs.mkdirSync(bin);
    fs.copyFileSync(busybox, path.join(bin, 'busybox'));
    fs.chmodSync(path.join(bin, 'busybox'), 0o755);
    const ldd = spawnSync('ldd', [busybox], { encoding: 'utf8' });
    if (!/not a dynamic executable|statically linked/.test(`${ldd.stdout}${ldd.stderr}`)) {
      throw new ProvisionError(`${busybox} is not statically linked; install the Debian package busybox-static`);
    }
    for (const applet of run('busybox --list', busybox, ['--list']).split('\n').filter((a) => a && a !== 'busybox')) {
      fs.symlinkSync('busybox', path.join(bin, applet));
    }
    fs.mkdirSync(path.join(rootfs, 'tmp'));
    // `command: [sh, -c, ...]` or `kubectl run ... -- sh -c ...` both work.
    return { cmd: ['/bin/sh'] };
  });
}

/** CoreDNS from its Go module (no replace directives, so `go install` works), cached per release. */
function provisionCoreDns(c: KindSettings, log: (m: string) => void): string {
  const version = c.USERFORGE_COREDNS_VERSION;
  const home = path.join(c.stack.USERFORGE_CACHE_DIR, `coredns-v${version}`);
  return goBuild({
    what: `CoreDNS v${version}`,
    home,
    estimate: 'about 5 min',
    log,
    done: builtBinary(home, 'coredns'),
    args: () => ['install', '-trimpath', '-ldflags', '-s -w', `github.com/coredns/coredns@v${version}`],
    env: (out) => goInstallEnv(c.stack, out),
  });
}

/** A scratch image of one static binary, which it runs (the pod gives the arguments). */
function binaryImage(c: KindSettings, name: string, ref: string, log: (m: string) => void, binary: () => string): ImageArchive {
  return cachedImage(c, name, ref, log, (rootfs) => {
    const file = path.join(rootfs, name.replace(/-v[\d.]+$/, ''));
    fs.copyFileSync(binary(), file);
    fs.chmodSync(file, 0o755);
    return { entrypoint: [`/${path.basename(file)}`] };
  });
}

export function corednsImage(c: KindSettings, log: (m: string) => void): ImageArchive {
  const version = c.USERFORGE_COREDNS_VERSION;
  return binaryImage(c, `coredns-v${version}`, IMAGE_REFS.coredns(version), log, () => provisionCoreDns(c, log));
}

/**
 * Traefik from its Go module, cached per release. Its go.mod has `replace` lines, which
 * `go install pkg@version` refuses, so the module is copied and built in place.
 */
function provisionTraefik(c: KindSettings, log: (m: string) => void): string {
  const version = c.USERFORGE_TRAEFIK_VERSION;
  const home = path.join(c.stack.USERFORGE_CACHE_DIR, `traefik-v${version}`);
  const src = path.join(home, 'src');
  return goBuild({
    what: `Traefik v${version}`,
    home,
    estimate: 'about 7 min',
    log,
    done: builtBinary(home, 'traefik'),
    prepare(go) {
      const [mod] = download(go, c.stack, [`github.com/traefik/traefik/v3@v${version}`]);
      if (!mod?.Dir || mod.Error) throw new ProvisionError(`the Go module proxy does not serve Traefik v${version}: ${mod?.Error}`);
      copyGoModule(mod.Dir, src);
      return src;
    },
    // The ldflags of Traefik's Makefile, so `traefik version` reports the release.
    args: (out) => ['build', '-trimpath', '-ldflags', `-s -w -X github.com/traefik/traefik/v3/pkg/version.Version=v${version}`, '-o', path.join(out, 'traefik'), './cmd/traefik'],
    env: () => goEnv(c.stack),
    cleanup: () => fs.rmSync(src, { recursive: true, force: true }),
  });
}

export function traefikImage(c: KindSettings, log: (m: string) => void): ImageArchive {
  const version = c.USERFORGE_TRAEFIK_VERSION;
  return binaryImage(c, `traefik-v${version}`, IMAGE_REFS.traefik(version), log, () => provisionTraefik(c, log));
}
