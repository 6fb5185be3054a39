import { createHash } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runLogged, type Log } from '../build-log';
import { builtBinary, copyGoModule, goBuild } from '../go-build';
import { ProvisionError, requireTool } from '../prerequisites';
import type { StackSettings } from './settings';

export const KAFKA_VERSION = '3.9.1';
export const FERRETDB_VERSION = '1.24.2';

const APT_HINT = 'Run `bash scripts/bootstrap.sh` (installs Debian packages redis-server, prometheus, postgresql) or install it yourself.';

function run(what: string, cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): void {
  const r = spawnSync(cmd, args, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, encoding: 'utf8' });
  if (r.status !== 0) {
    throw new ProvisionError(`${what} failed (exit ${r.status}):\n${(r.stderr || r.stdout || '').slice(-2000)}`);
  }
}

/** Kafka's runtime classpath, resolved from Maven Central once and cached. */
export function provisionKafka(s: StackSettings, log: Log): { libs: string; java: string } {
  const java = requireTool('java', 'Install a JDK 17+ (Debian: openjdk-17-jre-headless).');
  const home = path.join(s.USERFORGE_CACHE_DIR, `kafka-${KAFKA_VERSION}`);
  const libs = path.join(home, 'libs');
  const marker = path.join(home, '.complete');
  if (!fs.existsSync(marker)) {
    requireTool('mvn', 'Install Apache Maven (Debian: maven); it fetches the Kafka jars.');
    fs.mkdirSync(libs, { recursive: true });
    runLogged({
      what: `Kafka ${KAFKA_VERSION}'s jars (resolved from Maven Central into ${libs})`,
      cmd: 'mvn',
      args: ['-q', '-B', '-f', path.join(__dirname, 'kafka', 'pom.xml'), 'dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${libs}`],
      logFile: path.join(home, 'build.log'),
      estimate: 'under 1 min',
      log,
    });
    fs.writeFileSync(marker, new Date().toISOString());
  }
  return { libs, java };
}

/**
 * Our patch to FerretDB's PostgreSQL pushdown (see the comment at the top of the patch): upstream
 * 1.24 serves every equality filter with a sequential scan and never sorts or limits in the
 * database, so a lookup by `_id` in 11M users took 10 s and a sorted page loaded the collection.
 */
const FERRETDB_PATCH = path.join(__dirname, 'ferretdb', 'index-pushdown.patch');

/**
 * FerretDB built from its published Go module plus our pushdown patch. `go install pkg@version`
 * cannot be used: the module ships without build/version/version.txt, which the binary insists on
 * at start-up. The cache directory is keyed by the patch's hash, so a changed patch rebuilds.
 */
export function provisionFerretDb(s: StackSettings, log: Log): string {
  const patchHash = createHash('sha256').update(fs.readFileSync(FERRETDB_PATCH)).digest('hex').slice(0, 10);
  const home = path.join(s.USERFORGE_CACHE_DIR, `ferretdb-${FERRETDB_VERSION}-${patchHash}`);
  const src = path.join(home, 'src');
  return goBuild({
    what: `FerretDB ${FERRETDB_VERSION} with our pushdown patch`,
    home,
    estimate: 'about 1 min',
    log,
    done: builtBinary(home, 'ferretdb'),
    // Go's own module and build caches (not the userforge cache's), as this build has always used.
    prepare(go) {
      const info = JSON.parse(
        execFileSync(go, ['mod', 'download', '-json', `github.com/FerretDB/FerretDB@v${FERRETDB_VERSION}`], { encoding: 'utf8', cwd: os.tmpdir() }),
      ) as { Dir?: string; Error?: string };
      if (!info.Dir) throw new ProvisionError(`could not download FerretDB: ${info.Error ?? 'unknown error'}`);
      copyGoModule(info.Dir, src);
      run('patching FerretDB', requireTool('git', APT_HINT), ['apply', FERRETDB_PATCH], { cwd: src });
      fs.writeFileSync(path.join(src, 'build', 'version', 'version.txt'), `v${FERRETDB_VERSION}\n`);
      return src;
    },
    args: (out) => ['build', '-trimpath', '-o', path.join(out, 'ferretdb'), './cmd/ferretdb'],
    env: () => ({ CGO_ENABLED: '0' }),
    cleanup: () => fs.rmSync(src, { recursive: true, force: true }),
  });
}

export function provisionRedis(): string {
  return requireTool('redis-server', APT_HINT);
}

export function provisionPrometheus(): string {
  return requireTool('prometheus', APT_HINT);
}

/** Debian's PostgreSQL binaries (only for the `pg` FerretDB backend). */
export function provisionPostgres(): string {
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root) ? fs.readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) {
    const bin = path.join(root, v, 'bin');
    if (fs.existsSync(path.join(bin, 'postgres'))) return bin;
  }
  throw new ProvisionError(`PostgreSQL server binaries not found under ${root}. ${APT_HINT}`);
}
