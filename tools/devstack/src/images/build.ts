/**
 * `npm run images:build`: the four app images from the one Dockerfile, with buildah (no Docker
 * engine, no registry). The bases are the local ones of base.ts; each image is tagged with the
 * chart's repository and appVersion (what the chart runs by default) and with the build's content
 * hash, and exported as an oci-archive under the cache directory for `ctr images import`. When the
 * inputs (Dockerfile, build context, bases, arguments) hash as before, nothing is rebuilt.
 * Prints one JSON line: {"api":{"mb":..},"consumer":..,"operator":..,"dashboard":..,"seconds":..,"cached":..}.
 */
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { loadStackSettings, REPO_ROOT } from '../stack/settings';
import { runLogged } from '../build-log';
import { ensureBases } from './base';
import { buildah, imageExists, inspectImage } from './buildah';

export const IMAGE_APPS = ['api', 'consumer', 'operator', 'dashboard'] as const;
export type ImageApp = (typeof IMAGE_APPS)[number];

export interface BuiltImage {
  /** The chart's reference (`userforge/api:0.1.0`); buildah's store names it `localhost/userforge/api:0.1.0`. */
  ref: string;
  /** The same image under the content hash of its inputs. */
  hashRef: string;
  archive: string;
  bytes: number;
}

export interface ImagesBuild {
  hash: string;
  images: Record<ImageApp, BuiltImage>;
  seconds: number;
  /** True when the inputs were unchanged and nothing was built. */
  cached: boolean;
}

/** `.dockerignore` as a predicate on context-relative paths (`**`, `*`, `?`; a matched directory drops its contents). */
export function dockerignore(text: string): (rel: string) => boolean {
  const patterns = text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  if (patterns.some((p) => p.startsWith('!'))) throw new Error('.dockerignore exceptions (`!pattern`) are not supported by the images\' input hash');
  const regexes = patterns.map((p) => {
    const body = p.replace(/^\/+|\/+$/g, '').replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*\*\/|\*\*|\*|\?/g, (m) => ({ '**/': '(?:.*/)?', '**': '.*', '*': '[^/]*', '?': '[^/]' })[m] as string);
    return new RegExp(`^${body}$`);
  });
  return (rel) => regexes.some((r) => r.test(rel));
}

/** sha256 of every file of the build context buildah would send, with their paths. */
function hashContext(root: string, ignored: (rel: string) => boolean, hash: crypto.Hash, rel = ''): void {
  const entries = fs.readdirSync(path.join(root, rel), { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
  for (const e of entries) {
    const child = rel ? `${rel}/${e.name}` : e.name;
    if (ignored(child)) continue;
    const full = path.join(root, child);
    if (e.isDirectory()) hashContext(root, ignored, hash, child);
    else if (e.isSymbolicLink()) hash.update(`link ${child} ${fs.readlinkSync(full)}\n`);
    else if (e.isFile()) hash.update(`file ${child} ${crypto.createHash('sha256').update(fs.readFileSync(full)).digest('hex')}\n`);
  }
}

/** The hash that names a build: the Dockerfile, the context, the bases' ids and the build arguments. */
export function inputsHash(buildArgs: string[], baseIds: string[]): string {
  const hash = crypto.createHash('sha256');
  const ignoreText = fs.readFileSync(path.join(REPO_ROOT, '.dockerignore'), 'utf8');
  hash.update(fs.readFileSync(path.join(REPO_ROOT, 'Dockerfile')));
  hash.update(ignoreText);
  hash.update(JSON.stringify({ buildArgs, baseIds }));
  hashContext(REPO_ROOT, dockerignore(ignoreText), hash);
  return hash.digest('hex');
}

/** The chart's repository for each app and its appVersion, the default tag. */
export function chartImages(): { tag: string; repositories: Record<ImageApp, string> } {
  const chart = path.join(REPO_ROOT, 'charts', 'userforge');
  const { appVersion } = yaml.load(fs.readFileSync(path.join(chart, 'Chart.yaml'), 'utf8')) as { appVersion: string };
  const values = yaml.load(fs.readFileSync(path.join(chart, 'values.yaml'), 'utf8')) as Record<string, { image?: { repository?: string } }>;
  const repositories = Object.fromEntries(
    IMAGE_APPS.map((app) => {
      const repository = values[app]?.image?.repository;
      if (!repository) throw new Error(`charts/userforge/values.yaml has no ${app}.image.repository`);
      return [app, repository];
    }),
  ) as Record<ImageApp, string>;
  return { tag: String(appVersion), repositories };
}

/** Where the host's extra CA file is mounted during RUN steps (a mount, so it never lands in an image). */
const BUILD_CA = '/run/userforge-build-ca.crt';

/**
 * What npm inside the build needs from this machine's network setup: its registry mirror, and the
 * CA file Node or npm trusts here (a TLS-inspecting proxy's); buildah passes the proxy variables itself.
 */
export function environmentArgs(env: NodeJS.ProcessEnv, npmConfig: (key: string) => string): { buildArgs: string[]; volumes: string[] } {
  const registry = env.npm_config_registry || env.NPM_CONFIG_REGISTRY || npmConfig('registry');
  const ca = [env.NODE_EXTRA_CA_CERTS, env.npm_config_cafile, npmConfig('cafile')].find((f) => f && f !== 'null' && fs.existsSync(f));
  return {
    // Always given when npm has one, which also keeps buildah from warning about an unset ARG.
    buildArgs: [...(registry ? [`npm_config_registry=${registry}`] : []), ...(ca ? [`NODE_EXTRA_CA_CERTS=${BUILD_CA}`] : [])],
    volumes: ca ? [`${ca}:${BUILD_CA}:ro`] : [],
  };
}

/** A value of this machine's npm configuration ('' when npm has none). */
function hostNpmConfig(key: string): string {
  const r = spawnSync('npm', ['config', 'get', key], { encoding: 'utf8' });
  const value = r.status === 0 ? r.stdout.trim() : '';
  return value === 'null' || value === 'undefined' ? '' : value;
}

export interface BuildOptions {
  /** Progress lines; buildah's own output goes to a build.log beside the archives. */
  log?: (line: string) => void;
}

/** What every local build of the Dockerfile takes: the local bases, and this machine's npm registry and CA. */
export function localBuildInputs(log: (line: string) => void): { bases: ReturnType<typeof ensureBases>; buildArgs: string[]; volumes: string[] } {
  const bases = ensureBases(log);
  const host = environmentArgs(process.env, hostNpmConfig);
  return { bases, buildArgs: [`NODE_IMAGE=${bases.NODE_IMAGE}`, `NGINX_IMAGE=${bases.NGINX_IMAGE}`, ...host.buildArgs], volumes: host.volumes };
}

/** Builds the four images unless a build of the same inputs is complete; returns references, archives and sizes. */
export function buildImages(options: BuildOptions = {}): ImagesBuild {
  const log = options.log ?? (() => undefined);
  const started = Date.now();
  const { bases, buildArgs, volumes } = localBuildInputs(log);
  const hash = inputsHash(buildArgs, [inspectImage(bases.NODE_IMAGE).id, inspectImage(bases.NGINX_IMAGE).id]);
  const { tag, repositories } = chartImages();
  const root = path.join(loadStackSettings().USERFORGE_CACHE_DIR, 'images');
  const dir = path.join(root, `userforge-${hash.slice(0, 16)}`);
  const images = Object.fromEntries(
    IMAGE_APPS.map((app) => [app, { ref: `${repositories[app]}:${tag}`, hashRef: `${repositories[app]}:${hash.slice(0, 12)}`, archive: path.join(dir, `${app}.oci.tar`), bytes: 0 }]),
  ) as Record<ImageApp, BuiltImage>;
  const complete = (image: BuiltImage) => fs.existsSync(image.archive) && imageExists(image.hashRef);
  const cached = IMAGE_APPS.every((app) => complete(images[app]));

  if (!cached) {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    for (const app of IMAGE_APPS) {
      runLogged({
        what: `${images[app].ref} (target ${app})`,
        cmd: 'buildah',
        args: ['bud', '--layers', '--force-rm', '--pull=never', '--network=host', '--target', app, ...buildArgs.flatMap((a) => ['--build-arg', a]), ...volumes.flatMap((v) => ['--volume', v]), '-f', 'Dockerfile', '-t', images[app].hashRef, '-t', images[app].ref, '.'],
        cwd: REPO_ROOT,
        logFile: path.join(dir, `${app}.build.log`),
        // The first image builds the stages the others share (`npm ci`, the bundle): 267 s for all four.
        estimate: app === IMAGE_APPS[0] ? 'about 3 min' : 'under 1 min',
        log,
      });
      // Qualified as Kubernetes resolves the chart's short name: `ctr -n k8s.io images import --base-name docker.io/<repository>`.
      // Written aside and renamed, so an interrupted export never passes for a finished build.
      buildah(['push', '--quiet', images[app].hashRef, `oci-archive:${images[app].archive}.partial:docker.io/${images[app].ref}`], { timeout: 10 * 60_000 });
      fs.renameSync(`${images[app].archive}.partial`, images[app].archive);
    }
    // Older builds are superseded: their archives go, and so do their hash tags (the images once no tag is left).
    for (const old of fs.readdirSync(root)) if (old.startsWith('userforge-') && path.join(root, old) !== dir) fs.rmSync(path.join(root, old), { recursive: true, force: true });
    const current = new Set(IMAGE_APPS.flatMap((app) => [images[app].ref, images[app].hashRef].map((r) => `localhost/${r}`)));
    const listed = JSON.parse(buildah(['images', '--json'])) as { names?: string[] | null }[];
    const repos = IMAGE_APPS.map((app) => `localhost/${repositories[app]}:`);
    const stale = listed.flatMap((i) => i.names ?? []).filter((n) => repos.some((r) => n.startsWith(r)) && /:[0-9a-f]{12}$/.test(n) && !current.has(n));
    for (const name of stale) buildah(['rmi', name]);
  } else {
    // The chart's tag follows the newest build, even when an older one was tagged since.
    for (const app of IMAGE_APPS) buildah(['tag', images[app].hashRef, images[app].ref]);
  }
  for (const app of IMAGE_APPS) images[app].bytes = inspectImage(images[app].hashRef).size;
  return { hash, images, seconds: (Date.now() - started) / 1000, cached };
}

/** The one JSON line of `npm run images:build`. */
export function summaryLine(build: ImagesBuild): string {
  const sizes = Object.fromEntries(IMAGE_APPS.map((app) => [app, { mb: Math.round(build.images[app].bytes / 1e5) / 10 }]));
  return JSON.stringify({ ...sizes, seconds: Math.round(build.seconds * 10) / 10, cached: build.cached });
}
