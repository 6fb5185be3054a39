/**
 * `npx tsx scripts/images.ts servers` (root): images of the chart's development servers for
 * machines that cannot pull apache/kafka, mongo or redis. They are made of what the local stack
 * runs — Kafka's jars from Maven Central on Debian's JRE, Debian's Redis, FerretDB (the stack's
 * patched build) on Debian's PostgreSQL — and keep the official images' contracts where the chart
 * relies on them (/opt/kafka/bin scripts, `redis-server` on PATH, postgres' PGDATA and uid 999), so
 * the dev templates take them by value (`serverImageValues`). Each image is named by the hash of
 * its recipe and inputs, exported as a docker-archive (`kind load image-archive`, `docker load` and
 * `ctr images import` all read it) and not rebuilt while that hash is unchanged.
 * Prints one JSON line: {"kafka":{"ref":..,"mb":..},..,"seconds":..,"cached":..,"values":{<chart key>: <value>}}.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { withBuildLock } from '../build-log';
import { FERRETDB_VERSION, KAFKA_VERSION, provisionFerretDb, provisionKafka } from '../stack/provision';
import { loadStackSettings, REPO_ROOT } from '../stack/settings';
import { commitRootfs, debianRelease, debootstrap } from './base';
import { buildah, imageExists, inspectImage, requireBuildah, sh } from './buildah';

export const SERVER_IMAGES = ['kafka', 'redis', 'postgres', 'ferretdb'] as const;
export type ServerImage = (typeof SERVER_IMAGES)[number];

/** The official images' users, which the chart's dev templates run as. */
const KAFKA_UID = 1000;
const DB_UID = 999;
const POSTGRES_MAJOR = 15;

export interface BuiltServerImage {
  /** `localhost/userforge/dev-<name>:<version>-<hash>`, as buildah's store, kind and containerd name it. */
  ref: string;
  repository: string;
  tag: string;
  /** docker-archive of the image, named `ref` inside. */
  archive: string;
  bytes: number;
}

export interface ServerImagesBuild {
  images: Record<ServerImage, BuiltServerImage>;
  seconds: number;
  /** True when every image was already built from the same inputs. */
  cached: boolean;
}

interface FileSpec {
  /** Path inside the image. */
  path: string;
  /** Text of the file, or `from`: a host file or directory copied in. */
  content?: string;
  from?: string;
  mode?: number;
}

interface Recipe {
  /** What the image runs, the first part of its tag. */
  version: string;
  /** Debian packages over a minbase; null: no Debian at all (a static binary). */
  packages: string[] | null;
  files: FileSpec[];
  /** Shell run in the root file system (chroot) once the packages and files are in. */
  setup: string;
  /** `buildah config` arguments. */
  config: string[];
}

/**
 * The distribution's bin/kafka-run-class.sh is not on Maven Central, so this is a stand-in with
 * its environment contract (KAFKA_HEAP_OPTS, KAFKA_JVM_PERFORMANCE_OPTS, KAFKA_LOG4J_OPTS,
 * KAFKA_OPTS, LOG_DIR, `-name`, `-loggc`), minus `-daemon`: a container's process stays in front.
 */
const KAFKA_RUN_CLASS = `#!/bin/sh
# Written by userforge's scripts/images/servers.ts: Apache Kafka's kafka-run-class.sh contract.
set -eu
base_dir=$(cd "$(dirname "$0")/.." && pwd)
name=""
gc_log=false
while [ $# -gt 0 ]; do
  case "$1" in
    -name) name=$2; shift 2 ;;
    -loggc) gc_log=true; shift ;;
    -daemon) echo "kafka-run-class.sh: -daemon is not supported in this image" >&2; exit 1 ;;
    *) break ;;
  esac
done
[ $# -ge 1 ] || { echo "USAGE: $0 [-name servicename] [-loggc] classname [opts]" >&2; exit 1; }
LOG_DIR=\${LOG_DIR:-$base_dir/logs}
mkdir -p "$LOG_DIR"
gc_opts=""
if [ "$gc_log" = true ] && [ -n "$name" ]; then
  gc_opts="-Xlog:gc*:file=$LOG_DIR/$name-gc.log:time,tags:filecount=10,filesize=100M"
fi
# Word splitting of the *_OPTS variables is wanted, as in the original.
# shellcheck disable=SC2086
exec "\${JAVA_HOME:-/usr}/bin/java" \${KAFKA_HEAP_OPTS:--Xmx256M} \\
  \${KAFKA_JVM_PERFORMANCE_OPTS:--server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -XX:MaxInlineLevel=15 -Djava.awt.headless=true} \\
  \${KAFKA_GC_LOG_OPTS:-$gc_opts} "-Dkafka.logs.dir=$LOG_DIR" \\
  \${KAFKA_LOG4J_OPTS:--Dlog4j.configuration=file:$base_dir/config/tools-log4j.properties} \${KAFKA_OPTS:-} \\
  -cp "$base_dir/libs/*" "$@"
`;

const KAFKA_SERVER_START = `#!/bin/sh
# Written by userforge's scripts/images/servers.ts: Apache Kafka's kafka-server-start.sh contract.
set -eu
[ $# -ge 1 ] || { echo "USAGE: $0 server.properties [--override property=value]*" >&2; exit 1; }
base_dir=$(dirname "$0")
export KAFKA_LOG4J_OPTS="\${KAFKA_LOG4J_OPTS:--Dlog4j.configuration=file:$base_dir/../config/log4j.properties}"
export KAFKA_HEAP_OPTS="\${KAFKA_HEAP_OPTS:--Xmx1G -Xms1G}"
# shellcheck disable=SC2086
exec "$base_dir/kafka-run-class.sh" \${EXTRA_ARGS--name kafkaServer -loggc} kafka.Kafka "$@"
`;

const KAFKA_STORAGE = `#!/bin/sh
# Written by userforge's scripts/images/servers.ts: Apache Kafka's kafka-storage.sh.
exec "$(dirname "$0")/kafka-run-class.sh" kafka.tools.StorageTool "$@"
`;

/** apache/kafka's default command: one KRaft node on :9092, formatted on first start. */
const KAFKA_DOCKER_RUN = `#!/bin/sh
# Written by userforge's scripts/images/servers.ts: a single KRaft node, like apache/kafka's default.
set -eu
# Everything it writes goes under /tmp, so it also runs on a read-only root.
export LOG_DIR="\${LOG_DIR:-/tmp/kafka-logs}"
/opt/kafka/bin/kafka-storage.sh format --ignore-formatted --cluster-id "\${CLUSTER_ID:-5L6g3nShT-eMCtK--X86sw}" --config /opt/kafka/config/server.properties
exec /opt/kafka/bin/kafka-server-start.sh /opt/kafka/config/server.properties
`;

const KAFKA_DEFAULT_PROPERTIES = `# Written by userforge's scripts/images/servers.ts: one node, broker and controller; data under /tmp.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@localhost:9093
listeners=PLAINTEXT://:9092,CONTROLLER://localhost:9093
advertised.listeners=PLAINTEXT://localhost:9092
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=/tmp/kraft-combined-logs
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
`;

const consoleLog4j = (target: 'System.out' | 'System.err', level: string) => `log4j.rootLogger=${level}, console
log4j.appender.console=org.apache.log4j.ConsoleAppender
log4j.appender.console.Target=${target}
log4j.appender.console.layout=org.apache.log4j.PatternLayout
log4j.appender.console.layout.ConversionPattern=[%d] %p %m (%c)%n
`;

/** Gives a package's system user (made by its maintainer script) the official image's numeric id, and its files with it. */
const renumber = (user: string, id: number) => `
old_uid=$(id -u ${user}); old_gid=$(id -g ${user})
groupmod -g ${id} ${user}
usermod -u ${id} -g ${id} ${user}
find / -xdev \\( -uid "$old_uid" -o -gid "$old_gid" \\) -exec chown -h ${id}:${id} {} +
`;

/** What each image is made of; everything here is part of its hash. */
function recipes(kafkaLibs: string, ferretdb: string): Record<ServerImage, Recipe> {
  const pgBin = `/usr/lib/postgresql/${POSTGRES_MAJOR}/bin`;
  return {
    kafka: {
      version: KAFKA_VERSION,
      packages: [`openjdk-17-jre-headless`],
      files: [
        { path: '/opt/kafka/libs', from: kafkaLibs },
        { path: '/opt/kafka/bin/kafka-run-class.sh', content: KAFKA_RUN_CLASS, mode: 0o755 },
        { path: '/opt/kafka/bin/kafka-server-start.sh', content: KAFKA_SERVER_START, mode: 0o755 },
        { path: '/opt/kafka/bin/kafka-storage.sh', content: KAFKA_STORAGE, mode: 0o755 },
        { path: '/opt/kafka/config/server.properties', content: KAFKA_DEFAULT_PROPERTIES },
        { path: '/opt/kafka/config/log4j.properties', content: consoleLog4j('System.out', 'INFO') },
        { path: '/opt/kafka/config/tools-log4j.properties', content: consoleLog4j('System.err', 'WARN') },
        { path: '/etc/kafka/docker/run', content: KAFKA_DOCKER_RUN, mode: 0o755 },
      ],
      // apache/kafka's user: appuser, 1000:1000.
      setup: `groupadd --gid ${KAFKA_UID} appuser && useradd --uid ${KAFKA_UID} --gid ${KAFKA_UID} --no-create-home --home-dir /home/appuser --shell /bin/sh appuser
mkdir -p /var/lib/kafka/data /opt/kafka/logs && chown ${KAFKA_UID}:${KAFKA_UID} /var/lib/kafka/data /opt/kafka/logs
rm -rf /usr/lib/jvm/*/lib/src.zip`,
      config: [
        '--env', `KAFKA_VERSION=${KAFKA_VERSION}`,
        '--user', `${KAFKA_UID}:${KAFKA_UID}`, '--workingdir', '/opt/kafka', '--port', '9092',
        '--cmd', '["/etc/kafka/docker/run"]',
      ],
    },
    redis: {
      version: 'debian',
      packages: ['redis-server'],
      files: [],
      // redis:*-alpine's user (999) and working directory (/data).
      setup: `${renumber('redis', DB_UID)}
mkdir -p /data && chown ${DB_UID}:${DB_UID} /data`,
      config: ['--user', `${DB_UID}:${DB_UID}`, '--workingdir', '/data', '--port', '6379', '--cmd', '["redis-server"]'],
    },
    postgres: {
      version: String(POSTGRES_MAJOR),
      packages: [`postgresql-${POSTGRES_MAJOR}`],
      files: [],
      // The package's maintainer script made a cluster of its own ("main"): the chart's pod makes its own in PGDATA.
      // Without its JIT provider PostgreSQL runs queries interpreted; LLVM is a third of the image.
      setup: `${renumber('postgres', DB_UID)}
rm -rf /var/lib/postgresql/${POSTGRES_MAJOR} /etc/postgresql/${POSTGRES_MAJOR}
rm -f /usr/lib/postgresql/${POSTGRES_MAJOR}/lib/llvmjit* /usr/lib/*/libLLVM-*.so* /usr/lib/*/libz3.so*
mkdir -p /var/lib/postgresql/data /var/run/postgresql && chown ${DB_UID}:${DB_UID} /var/lib/postgresql/data /var/run/postgresql && chmod 3777 /var/run/postgresql`,
      // The postgres image's contract: its binaries on PATH, PGDATA, uid 999, SIGINT (fast shutdown) to stop.
      config: [
        '--env', `PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:${pgBin}`,
        '--env', 'PGDATA=/var/lib/postgresql/data',
        '--user', `${DB_UID}:${DB_UID}`, '--port', '5432', '--stop-signal', 'SIGINT', '--cmd', '["postgres"]',
      ],
    },
    ferretdb: {
      version: FERRETDB_VERSION,
      packages: null,
      files: [{ path: '/ferretdb', from: ferretdb, mode: 0o755 }],
      setup: '',
      // FerretDB's own image: the static binary as entrypoint, flags from FERRETDB_* variables or arguments.
      config: [
        '--env', 'FERRETDB_LISTEN_ADDR=:27017', '--env', 'FERRETDB_STATE_DIR=/state', '--env', 'FERRETDB_TELEMETRY=disable',
        '--user', `${DB_UID}:${DB_UID}`, '--port', '27017', '--entrypoint', '["/ferretdb"]',
      ],
    },
  };
}

/** sha256 of a file, or of a directory's files with their names. */
function hashPath(p: string): string {
  const hash = crypto.createHash('sha256');
  if (fs.statSync(p).isDirectory()) {
    for (const name of fs.readdirSync(p).sort()) hash.update(`${name} ${hashPath(path.join(p, name))}\n`);
  } else {
    hash.update(fs.readFileSync(p));
  }
  return hash.digest('hex');
}

/** The hash that names an image: its recipe, with each copied file or directory by content. */
function recipeHash(recipe: Recipe, release: string): string {
  const files = recipe.files.map((f) => ({ ...f, from: f.from && hashPath(f.from) }));
  return crypto.createHash('sha256').update(JSON.stringify({ release, ...recipe, files })).digest('hex');
}

function makeRootfs(recipe: Recipe, rootfs: string, release: string, debs: string, log: (line: string) => void): void {
  if (recipe.packages) {
    debootstrap(rootfs, release, debs, recipe.packages, log);
  } else {
    fs.rmSync(rootfs, { recursive: true, force: true });
    fs.mkdirSync(path.join(rootfs, 'tmp'), { recursive: true, mode: 0o1777 });
    fs.chmodSync(path.join(rootfs, 'tmp'), 0o1777);
    fs.mkdirSync(path.join(rootfs, 'state'));
    fs.chownSync(path.join(rootfs, 'state'), DB_UID, DB_UID);
  }
  for (const f of recipe.files) {
    const target = path.join(rootfs, f.path);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    if (f.from) sh('cp', ['-rL', '--no-preserve=ownership', f.from, target]);
    else fs.writeFileSync(target, f.content ?? '');
    if (f.mode !== undefined) fs.chmodSync(target, f.mode);
  }
  if (recipe.setup) sh('chroot', [rootfs, 'sh', '-ec', recipe.setup]);
}

export interface ServerBuildOptions {
  log?: (line: string) => void;
}

/** Builds whichever server image is missing or stale; returns their references, archives and sizes. */
export function buildServerImages(options: ServerBuildOptions = {}): ServerImagesBuild {
  const log = options.log ?? (() => undefined);
  const started = Date.now();
  requireBuildah();
  const settings = loadStackSettings();
  const release = debianRelease(fs.readFileSync(path.join(REPO_ROOT, 'Dockerfile'), 'utf8'));
  // The stack's cached artefacts: built or resolved once, shared with `stack:up`.
  const all = recipes(provisionKafka(settings, log).libs, provisionFerretDb(settings, log));
  const home = path.join(settings.USERFORGE_CACHE_DIR, 'images', 'dev-servers');
  const images = Object.fromEntries(
    SERVER_IMAGES.map((name) => {
      const repository = `localhost/userforge/dev-${name}`;
      const tag = `${all[name].version}-${recipeHash(all[name], release).slice(0, 12)}`;
      return [name, { ref: `${repository}:${tag}`, repository, tag, archive: path.join(home, `dev-${name}-${tag}.docker.tar`), bytes: 0 }];
    }),
  ) as Record<ServerImage, BuiltServerImage>;
  const complete = (image: BuiltServerImage) => fs.existsSync(image.archive) && imageExists(image.ref);
  const cached = SERVER_IMAGES.every((name) => complete(images[name]));
  const allDone = () => (SERVER_IMAGES.every((name) => complete(images[name])) ? images : undefined);

  withBuildLock(home, 'the dev server images', log, allDone, () => {
    for (const name of SERVER_IMAGES) {
      const image = images[name];
      if (complete(image)) continue;
      log(`building ${image.ref}`);
      const rootfs = path.join(home, `rootfs-${name}`);
      makeRootfs(all[name], rootfs, release, path.join(home, `debian-${release}-debs`), log);
      commitRootfs(rootfs, image.ref, all[name].config, 'scripts/images/servers.ts');
      fs.rmSync(rootfs, { recursive: true, force: true });
      // Written aside and renamed, so an interrupted export never passes for a finished one.
      fs.rmSync(`${image.archive}.partial`, { force: true });
      buildah(['push', '--quiet', image.ref, `docker-archive:${image.archive}.partial:${image.ref}`], { timeout: 10 * 60_000 });
      fs.renameSync(`${image.archive}.partial`, image.archive);
      // Superseded builds of this image go: their archives and their tags.
      for (const old of fs.readdirSync(home)) if (old.startsWith(`dev-${name}-`) && old.endsWith('.docker.tar') && path.join(home, old) !== image.archive) fs.rmSync(path.join(home, old));
      const listed = JSON.parse(buildah(['images', '--json'])) as { names?: string[] | null }[];
      for (const stale of listed.flatMap((i) => i.names ?? []).filter((n) => n.startsWith(`${image.repository}:`) && n !== image.ref)) buildah(['rmi', stale]);
    }
    return images;
  });
  for (const name of SERVER_IMAGES) images[name].bytes = inspectImage(images[name].ref).size;
  return { images, seconds: (Date.now() - started) / 1000, cached };
}

/** `--set` values that point the chart's dev servers at these images (MongoDB's wire protocol served by FerretDB on PostgreSQL). */
export function serverImageValues(images: Record<ServerImage, Pick<BuiltServerImage, 'repository' | 'tag'>>): Record<string, string> {
  const image = (key: string, name: ServerImage) => ({ [`devServers.${key}.image.repository`]: images[name].repository, [`devServers.${key}.image.tag`]: images[name].tag });
  return {
    ...image('kafka', 'kafka'),
    ...image('redis', 'redis'),
    'devServers.mongodb.flavor': 'ferretdb',
    ...image('mongodb.ferretdb', 'ferretdb'),
    ...image('mongodb.postgres', 'postgres'),
  };
}
