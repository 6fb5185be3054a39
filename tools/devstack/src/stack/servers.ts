import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkHttp, checkKafka, checkMongo, checkPostgres, checkRedis } from './health';
import { kubeServerDefs } from '../kube/servers';
import type { ProcessDef } from './process-def';
import { provisionFerretDb, provisionKafka, provisionPostgres, provisionPrometheus, provisionRedis } from './provision';
import { stackPaths, type StackSettings } from './settings';

/** `kube` stands for three processes: etcd, kube-apiserver and kube-controller-manager. */
export const SERVER_NAMES = ['mongo', 'redis', 'kafka', 'prometheus', 'kube'] as const;
export type ServerName = (typeof SERVER_NAMES)[number];

function write(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
}

/** When we run as root, PostgreSQL must still run as an ordinary user: it refuses root. */
function postgresUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

function postgres(s: StackSettings): ProcessDef {
  const p = stackPaths(s);
  const dataDir = path.join(p.data, 'postgres');
  const sockDir = path.join(p.run, 'postgres');
  let bin = '';
  return {
    name: 'postgres',
    ports: [s.USERFORGE_POSTGRES_PORT],
    portVars: ['USERFORGE_POSTGRES_PORT'],
    marker: dataDir,
    // After an unclean stop PostgreSQL replays its write-ahead log (up to max_wal_size, 16 GB, below)
    // before it accepts connections: after a killed 1M-user load that took over a minute here.
    // A server that exits still fails at once (waitFor checks it is alive).
    startTimeoutMs: 600_000,
    prepare(log) {
      bin = provisionPostgres();
      const user = postgresUser();
      fs.mkdirSync(sockDir, { recursive: true });
      // The postgres user must be able to reach its directories inside our (possibly 0700) stack dir.
      fs.mkdirSync(p.data, { recursive: true });
      if (user) for (const dir of [p.root, p.data, p.run]) fs.chmodSync(dir, 0o755);
      if (user) fs.chownSync(sockDir, user.uid, user.gid);
      if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) {
        log('initialising PostgreSQL data directory');
        fs.mkdirSync(dataDir, { recursive: true });
        if (user) fs.chownSync(dataDir, user.uid, user.gid);
        const r = spawnSync(path.join(bin, 'initdb'), ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8'], {
          encoding: 'utf8',
          ...user,
        });
        if (r.status !== 0) throw new Error(`initdb failed: ${r.stderr}`);
      }
      return {
        cmd: path.join(bin, 'postgres'),
        args: [
          '-D', dataDir, '-p', String(s.USERFORGE_POSTGRES_PORT), '-k', sockDir,
          '-c', 'listen_addresses=127.0.0.1',
          // Bulk loads: more memory and fewer checkpoints (each one makes the next writes of every
          // page log a full image: with 4GB of WAL, a checkpoint fell inside every 1M-user load and
          // moved its time by up to 20 %). Durability settings stay at their defaults.
          '-c', 'shared_buffers=1GB',
          '-c', 'max_wal_size=16GB',
          '-c', 'checkpoint_timeout=30min',
        ],
        ...user,
      };
    },
    health: () => checkPostgres(bin || provisionPostgres(), s.USERFORGE_POSTGRES_PORT),
  };
}

function mongo(s: StackSettings): ProcessDef {
  const p = stackPaths(s);
  const stateDir = path.join(p.data, 'ferretdb-state');
  return {
    name: 'mongo',
    ports: [s.USERFORGE_MONGO_PORT],
    portVars: ['USERFORGE_MONGO_PORT'],
    marker: `--state-dir=${stateDir}`,
    startTimeoutMs: 30_000,
    prepare(log) {
      const bin = provisionFerretDb(s, log);
      fs.mkdirSync(stateDir, { recursive: true });
      const backend =
        s.USERFORGE_MONGO_BACKEND === 'pg'
          ? ['--handler=pg', `--postgresql-url=postgres://postgres@/postgres?host=${path.join(p.run, 'postgres')}&port=${s.USERFORGE_POSTGRES_PORT}`]
          : (() => {
              const dir = path.join(p.data, 'ferretdb-sqlite');
              fs.mkdirSync(dir, { recursive: true });
              return ['--handler=sqlite', `--sqlite-url=file:${dir}/`];
            })();
      return {
        cmd: bin,
        args: [
          ...backend,
          `--listen-addr=127.0.0.1:${s.USERFORGE_MONGO_PORT}`,
          `--state-dir=${stateDir}`,
          '--telemetry=disable',
          '--debug-addr=-',
          '--log-level=warn',
          `--test-batch-size=${s.USERFORGE_FERRETDB_BATCH_SIZE}`,
          // Lets equality on `address.country` reach the index (our patch handles dotted paths).
          '--test-enable-nested-pushdown',
        ],
        env: { GOGC: String(s.USERFORGE_FERRETDB_GOGC) },
      };
    },
    health: () => checkMongo(s.USERFORGE_MONGO_PORT),
  };
}

function redis(s: StackSettings): ProcessDef {
  const p = stackPaths(s);
  const conf = path.join(p.conf, 'redis.conf');
  return {
    name: 'redis',
    ports: [s.USERFORGE_REDIS_PORT],
    portVars: ['USERFORGE_REDIS_PORT'],
    marker: conf,
    startTimeoutMs: 15_000,
    prepare() {
      const bin = provisionRedis();
      const dir = path.join(p.data, 'redis');
      fs.mkdirSync(dir, { recursive: true });
      // The original contract: no password, FLUSHDB and FLUSHALL disabled.
      write(
        conf,
        [
          `port ${s.USERFORGE_REDIS_PORT}`,
          'bind 127.0.0.1',
          'protected-mode no',
          `dir ${dir}`,
          'save ""',
          'appendonly yes',
          'rename-command FLUSHDB ""',
          'rename-command FLUSHALL ""',
          // Keeps the config path in the process title so our pid check can recognise it.
          'proc-title-template "{title} {listen-addr} {config-file}"',
          '',
        ].join('\n'),
      );
      return { cmd: bin, args: [conf] };
    },
    health: () => checkRedis(s.USERFORGE_REDIS_PORT),
  };
}

function kafka(s: StackSettings): ProcessDef {
  const p = stackPaths(s);
  const props = path.join(p.conf, 'kafka.properties');
  const log4j = path.join(p.conf, 'kafka-log4j.properties');
  const logDir = path.join(p.data, 'kafka');
  return {
    name: 'kafka',
    ports: [s.USERFORGE_KAFKA_PORT, s.USERFORGE_KAFKA_CONTROLLER_PORT],
    portVars: ['USERFORGE_KAFKA_PORT', 'USERFORGE_KAFKA_CONTROLLER_PORT'],
    marker: props,
    startTimeoutMs: 90_000,
    prepare(log) {
      const { libs, java } = provisionKafka(s, log);
      const cp = `${libs}/*`;
      const port = s.USERFORGE_KAFKA_PORT;
      const ctl = s.USERFORGE_KAFKA_CONTROLLER_PORT;
      write(
        props,
        [
          'process.roles=broker,controller',
          'node.id=1',
          `controller.quorum.voters=1@127.0.0.1:${ctl}`,
          `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${ctl}`,
          `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
          'controller.listener.names=CONTROLLER',
          'inter.broker.listener.name=PLAINTEXT',
          'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
          `log.dirs=${logDir}`,
          `num.partitions=${s.USERFORGE_KAFKA_PARTITIONS}`,
          // Topics are created explicitly by the platform, with the partition count it chooses.
          'auto.create.topics.enable=false',
          'offsets.topic.replication.factor=1',
          'offsets.topic.num.partitions=12',
          'transaction.state.log.replication.factor=1',
          'transaction.state.log.min.isr=1',
          'group.initial.rebalance.delay.ms=0',
          '',
        ].join('\n'),
      );
      write(
        log4j,
        [
          'log4j.rootLogger=WARN, stdout',
          'log4j.logger.kafka.server.KafkaServer=INFO',
          'log4j.logger.kafka.server.BrokerServer=INFO',
          'log4j.appender.stdout=org.apache.log4j.ConsoleAppender',
          'log4j.appender.stdout.layout=org.apache.log4j.PatternLayout',
          'log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n',
          '',
        ].join('\n'),
      );
      if (!fs.existsSync(path.join(logDir, 'meta.properties'))) {
        log('formatting Kafka KRaft storage');
        const clusterId = execFileSync(java, ['-cp', cp, 'kafka.tools.StorageTool', 'random-uuid'], {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'ignore'],
        }).trim().split('\n').pop()!;
        execFileSync(java, [`-Dlog4j.configuration=file:${log4j}`, '-cp', cp, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', props, '-g'], {
          stdio: 'ignore',
        });
      }
      return {
        cmd: java,
        args: ['-Xms256m', '-Xmx512m', '-XX:+UseG1GC', `-Dlog4j.configuration=file:${log4j}`, '-cp', cp, 'kafka.Kafka', props],
      };
    },
    health: () => checkKafka(s.USERFORGE_KAFKA_PORT),
  };
}

function prometheus(s: StackSettings, scrapeTargets: Record<string, string[]>): ProcessDef {
  const p = stackPaths(s);
  const conf = path.join(p.conf, 'prometheus.yml');
  const port = s.USERFORGE_PROMETHEUS_PORT;
  return {
    name: 'prometheus',
    ports: [port],
    portVars: ['USERFORGE_PROMETHEUS_PORT'],
    marker: conf,
    startTimeoutMs: 30_000,
    prepare() {
      const bin = provisionPrometheus();
      const jobs = Object.entries({ prometheus: [`127.0.0.1:${port}`], ...scrapeTargets })
        .map(([job, targets]) => `  - job_name: ${job}\n    static_configs:\n      - targets: [${targets.map((t) => `'${t}'`).join(', ')}]`)
        .join('\n');
      write(conf, `global:\n  scrape_interval: 5s\n  evaluation_interval: 5s\nscrape_configs:\n${jobs}\n`);
      return {
        cmd: bin,
        args: [
          `--config.file=${conf}`,
          `--storage.tsdb.path=${path.join(p.data, 'prometheus')}`,
          `--web.listen-address=127.0.0.1:${port}`,
          '--web.enable-lifecycle',
          '--storage.tsdb.retention.time=7d',
        ],
      };
    },
    health: () => checkHttp(`http://127.0.0.1:${port}/-/ready`),
  };
}

/** The servers to run, in start order (stop order is the reverse). */
export function serverDefs(s: StackSettings, only: readonly ServerName[] = s.USERFORGE_STACK_SERVERS, scrapeTargets: Record<string, string[]> = {}): ProcessDef[] {
  const defs: ProcessDef[] = [];
  if (only.includes('mongo') && s.USERFORGE_MONGO_BACKEND === 'pg') defs.push(postgres(s));
  if (only.includes('mongo')) defs.push(mongo(s));
  if (only.includes('redis')) defs.push(redis(s));
  if (only.includes('kafka')) defs.push(kafka(s));
  if (only.includes('kube')) defs.push(...kubeServerDefs(s));
  if (only.includes('prometheus')) defs.push(prometheus(s, scrapeTargets));
  return defs;
}

export const tmpStackDir = (label: string) => fs.mkdtempSync(path.join(os.tmpdir(), `userforge-${label}-`));
