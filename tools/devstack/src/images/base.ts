/**
 * Local stand-ins for the Dockerfile's two base images, for machines that cannot pull from a
 * registry: `localhost/userforge-base-node:<node version>` (Debian minbase of the Dockerfile's
 * release plus this machine's own Node.js and npm, as the official node:*-slim images are Debian
 * slim plus a Node.js build) and `localhost/userforge-base-nginx:<release>` (Debian's nginx set up
 * like nginx-unprivileged: uid 101, port 8080, pid and temp files in /tmp, /docker-entrypoint.d).
 * Debian packages come from the mirror apt already uses; each base is built once and kept in
 * buildah's store.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { loadStackSettings, REPO_ROOT } from '../stack/settings';
import { runLogged, type Log } from '../build-log';
import { buildah, imageExists, requireBuildah, sh } from './buildah';

export interface Bases {
  /** Build arguments for the Dockerfile: NODE_IMAGE and NGINX_IMAGE. */
  NODE_IMAGE: string;
  NGINX_IMAGE: string;
}

/** The Debian release of the Dockerfile's pinned Node base (`node:20.19-bookworm-slim` → bookworm). */
export function debianRelease(dockerfile: string): string {
  const m = /^ARG NODE_IMAGE=node:[\d.]+-([a-z]+)-slim$/m.exec(dockerfile);
  if (!m?.[1]) throw new Error('the Dockerfile has no `ARG NODE_IMAGE=node:<version>-<debian release>-slim` line');
  return m[1];
}

/** The first Debian archive apt is configured with for `release` (one-line and deb822 sources). */
export function debianMirror(sources: string[], release: string): string {
  for (const text of sources) {
    for (const [, uri, suite] of text.matchAll(/^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)\s/gm)) if (uri && suite === release && !uri.includes('security')) return uri;
    for (const stanza of text.split(/\n\s*\n/)) {
      const field = (name: string) => new RegExp(`^${name}:\\s*(.+)$`, 'mi').exec(stanza)?.[1]?.trim().split(/\s+/) ?? [];
      const uri = field('URIs').find((u) => !u.includes('security'));
      if (uri && field('Types').includes('deb') && field('Suites').includes(release)) return uri;
    }
  }
  throw new Error(`apt has no source for Debian ${release}; the local base images are made from Debian packages`);
}

function aptSources(): string[] {
  const dir = '/etc/apt/sources.list.d';
  const files = ['/etc/apt/sources.list', ...(fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => /\.(list|sources)$/.test(f)).map((f) => path.join(dir, f)) : [])];
  return files.filter((f) => fs.existsSync(f)).map((f) => fs.readFileSync(f, 'utf8'));
}

/** nginx.conf of nginx-unprivileged: no root needed, everything it writes under /tmp, logs to the container's output. */
const NGINX_CONF = `# Written by userforge's scripts/images/base.ts, after nginx-unprivileged's nginx.conf.
worker_processes auto;
error_log /dev/stderr notice;
pid /tmp/nginx.pid;
events { worker_connections 1024; }
http {
  client_body_temp_path /tmp/client_temp;
  proxy_temp_path /tmp/proxy_temp;
  fastcgi_temp_path /tmp/fastcgi_temp;
  uwsgi_temp_path /tmp/uwsgi_temp;
  scgi_temp_path /tmp/scgi_temp;
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  access_log /dev/stdout;
  sendfile on;
  keepalive_timeout 65;
  include /etc/nginx/conf.d/*.conf;
}
`;

/** The official nginx images' entrypoint contract: run /docker-entrypoint.d/*.sh, then the command. */
const NGINX_ENTRYPOINT = `#!/bin/sh
# Written by userforge's scripts/images/base.ts: the official nginx images' entrypoint contract.
set -eu
if [ "\${1:-}" = nginx ]; then
  for f in /docker-entrypoint.d/*.sh; do
    if [ -x "$f" ]; then "$f"; fi
  done
fi
exec "$@"
`;

/** Debian slim's trims: package lists, caches, documentation and translations no program reads. */
function slim(rootfs: string): void {
  for (const dir of ['var/lib/apt/lists', 'var/cache/apt', 'var/cache/debconf', 'var/log', 'usr/share/doc', 'usr/share/man', 'usr/share/info', 'usr/share/locale']) {
    const full = path.join(rootfs, dir);
    if (!fs.existsSync(full)) continue;
    for (const entry of fs.readdirSync(full)) if (entry !== 'partial' && entry !== 'locale.alias') fs.rmSync(path.join(full, entry), { recursive: true, force: true });
  }
}

/** A Debian minbase root file system of `release` with `include`'s packages, slimmed; `debs` caches the downloads. */
export function debootstrap(rootfs: string, release: string, debs: string, include: string[], log: Log): void {
  fs.rmSync(rootfs, { recursive: true, force: true });
  fs.mkdirSync(debs, { recursive: true });
  const mirror = debianMirror(aptSources(), release);
  const args = ['--variant=minbase', `--cache-dir=${debs}`, ...(include.length ? [`--include=${include.join(',')}`] : []), release, rootfs, mirror];
  // The first run downloads the packages into `debs` (about 4 min more); later runs take them from there.
  runLogged({ what: `a Debian ${release} root file system in ${rootfs}`, cmd: 'debootstrap', args, logFile: `${rootfs}.log`, estimate: 'about 1–2 min', log });
  slim(rootfs);
}

/** This machine's Node.js binary and the npm tree next to it, where the official images keep them. */
function addNode(rootfs: string): void {
  const local = path.join(rootfs, 'usr', 'local');
  fs.mkdirSync(path.join(local, 'bin'), { recursive: true });
  fs.copyFileSync(process.execPath, path.join(local, 'bin', 'node'));
  fs.chmodSync(path.join(local, 'bin', 'node'), 0o755);
  const npmCli = fs.realpathSync(sh('sh', ['-c', 'command -v npm']).trim());
  const npmRoot = path.resolve(path.dirname(npmCli), '..');
  if (!fs.existsSync(path.join(npmRoot, 'package.json'))) throw new Error(`npm's package tree was not found next to ${npmCli}`);
  const target = path.join(local, 'lib', 'node_modules', 'npm');
  fs.mkdirSync(path.dirname(target), { recursive: true });
  sh('cp', ['-a', `${npmRoot}/.`, target]);
  for (const tool of ['npm', 'npx']) fs.symlinkSync(`../lib/node_modules/npm/bin/${tool}-cli.js`, path.join(local, 'bin', tool));
}

function addNginxSetup(rootfs: string): void {
  sh('chroot', [rootfs, 'sh', '-c', 'groupadd --system --gid 101 nginx && useradd --system --uid 101 --gid 101 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin nginx']);
  fs.writeFileSync(path.join(rootfs, 'etc/nginx/nginx.conf'), NGINX_CONF);
  fs.rmSync(path.join(rootfs, 'etc/nginx/sites-enabled'), { recursive: true, force: true });
  // Debian's nginx opens its compiled-in error log before reading nginx.conf: send it to the output.
  fs.mkdirSync(path.join(rootfs, 'var/log/nginx'), { recursive: true });
  fs.symlinkSync('/dev/stderr', path.join(rootfs, 'var/log/nginx/error.log'));
  fs.symlinkSync('/dev/stdout', path.join(rootfs, 'var/log/nginx/access.log'));
  fs.mkdirSync(path.join(rootfs, 'docker-entrypoint.d'), { recursive: true });
  fs.mkdirSync(path.join(rootfs, 'usr/share/nginx/html'), { recursive: true });
  fs.writeFileSync(path.join(rootfs, 'docker-entrypoint.sh'), NGINX_ENTRYPOINT, { mode: 0o755 });
}

/** Copies a root file system into a new image (ownership and modes kept) and applies its configuration. */
export function commitRootfs(rootfs: string, tag: string, config: string[], source = 'scripts/images/base.ts'): void {
  const container = buildah(['from', '--pull=never', 'scratch']).trim();
  try {
    const mnt = buildah(['mount', container]).trim();
    sh('cp', ['-a', `${rootfs}/.`, `${mnt}/`]);
    buildah(['umount', container]);
    buildah(['config', '--env', 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', '--label', `org.opencontainers.image.source=userforge ${source}`, ...config, container]);
    buildah(['commit', '--rm', container, tag]);
  } catch (e) {
    buildah(['rm', container]);
    throw e;
  }
}

/** Builds whichever base is missing from buildah's store; returns the Dockerfile's build arguments. */
export function ensureBases(log: (line: string) => void = () => undefined): Bases {
  requireBuildah();
  const release = debianRelease(fs.readFileSync(path.join(REPO_ROOT, 'Dockerfile'), 'utf8'));
  const work = path.join(loadStackSettings().USERFORGE_CACHE_DIR, 'images');
  const bases: Bases = {
    NODE_IMAGE: `localhost/userforge-base-node:${process.versions.node}`,
    NGINX_IMAGE: `localhost/userforge-base-nginx:${release}`,
  };
  const debs = path.join(work, `debian-${release}-debs`);
  const make = (tag: string, include: string[], finish: (rootfs: string) => void, config: string[]) => {
    if (imageExists(tag)) return;
    if (spawnSync('debootstrap', ['--version'], { stdio: 'ignore' }).error) throw new Error('debootstrap is not installed: the local base images are made from Debian packages (apt-get install debootstrap, or run scripts/bootstrap.sh)');
    log(`building the local base ${tag} from Debian ${release} packages`);
    const rootfs = path.join(work, `rootfs-${path.basename(tag.replace(/:.*$/, ''))}`);
    debootstrap(rootfs, release, debs, include, log);
    finish(rootfs);
    commitRootfs(rootfs, tag, config);
    fs.rmSync(rootfs, { recursive: true, force: true });
  };
  make(bases.NODE_IMAGE, [], addNode, ['--env', `NODE_VERSION=${process.versions.node}`, '--cmd', '["node"]']);
  make(bases.NGINX_IMAGE, ['nginx-light'], addNginxSetup, [
    '--entrypoint', '["/docker-entrypoint.sh"]', '--cmd', '["nginx", "-g", "daemon off;"]',
    '--user', '101', '--port', '8080', '--stop-signal', 'SIGQUIT',
  ]);
  return bases;
}
