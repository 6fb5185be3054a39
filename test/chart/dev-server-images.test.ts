/**
 * The dev server images of tools/devstack/src/images/servers.ts, run as the chart runs them: the dev
 * StatefulSets are rendered with values-dev.yaml and serverImageValues(), and each container is
 * started with runc from its rendered spec (command, args, env, user, volumes, read-only root)
 * in a network namespace of its own, reached over a veth pair. Real clients then use it: Kafka
 * metadata and a produce/consume round trip, Redis PING/SET/GET, FerretDB on PostgreSQL with a
 * unique index, whose data outlives a restart of both containers. The readiness probes run inside
 * the containers too. Root only (buildah mount, runc, network namespaces).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { MongoClient } from 'mongodb';
import { buildServerImages, serverImageValues, SERVER_IMAGES, type ServerImagesBuild, inspectImage } from '@userforge/devstack';
import { waitUntil } from '@userforge/testkit';
import { CHART, find, helm, podSpec, render, SERVER_ARGS, type K8sObject } from './helm';
import { runImage, type RunningImage } from './oci-run';

const isRoot = process.getuid?.() === 0;
// Building and running images needs root here (buildah's native overlay, runc, `ip netns`).
const describeRoot = isRoot ? describe : describe.skip;
if (!isRoot) console.warn('test/chart/dev-server-images.test.ts is skipped: it builds images with buildah and runs them with runc, which needs root.');

interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: unknown }[];
  securityContext: { runAsUser: number; runAsGroup: number; readOnlyRootFilesystem: boolean; capabilities: { drop: string[] } };
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
  readinessProbe?: { exec?: { command: string[] }; tcpSocket?: unknown };
}

interface Pod {
  spec: { securityContext: { runAsUser: number; fsGroup: number }; containers: Container[] };
  /** Host directory of each volume (the PVC `data`, emptyDirs, ConfigMaps). */
  volumes: Record<string, string>;
  netns: string;
  ip: string;
  running: Map<string, RunningImage>;
}

let build: ServerImagesBuild;
let objects: K8sObject[];
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'userforge-dev-servers-'));
const pods: Pod[] = [];

const ip = (args: string[]) => {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')} failed: ${r.stderr}`);
};

/** A pod of the rendered StatefulSet: its volumes as host directories and a network namespace reached at `ip`. */
function pod(server: 'kafka' | 'redis' | 'mongodb'): Pod {
  const n = pods.length;
  const set = find(objects, 'StatefulSet', `userforge-dev-${server}`);
  const spec = podSpec(set) as unknown as Pod['spec'];
  const netns = `ufds-${process.pid}-${n}`;
  const host = `ufds${process.pid % 100000}h${n}`;
  const peer = `ufds${process.pid % 100000}p${n}`;
  ip(['netns', 'add', netns]);
  ip(['link', 'add', host, 'type', 'veth', 'peer', 'name', peer]);
  ip(['link', 'set', peer, 'netns', netns]);
  ip(['addr', 'add', `10.231.${n}.1/30`, 'dev', host]);
  ip(['link', 'set', host, 'up']);
  ip(['-n', netns, 'addr', 'add', `10.231.${n}.2/30`, 'dev', peer]);
  ip(['-n', netns, 'link', 'set', peer, 'up']);
  ip(['-n', netns, 'link', 'set', 'lo', 'up']);
  const volumes: Record<string, string> = {};
  for (const name of new Set(spec.containers.flatMap((c) => (c.volumeMounts ?? []).map((m) => m.name)))) {
    const dir = path.join(work, `${server}-${name}`);
    fs.mkdirSync(dir, { recursive: true });
    // fsGroup: the volume belongs to the pod's group, group-writable and setgid, as the kubelet leaves it.
    fs.chownSync(dir, 0, spec.securityContext.fsGroup);
    fs.chmodSync(dir, 0o2775);
    volumes[name] = dir;
  }
  if (volumes.config) {
    const data = (find(objects, 'ConfigMap', `userforge-dev-${server}`) as K8sObject & { data: Record<string, string> }).data;
    for (const [file, text] of Object.entries(data)) fs.writeFileSync(path.join(volumes.config, file), text);
  }
  const p: Pod = { spec, volumes, netns, ip: `10.231.${n}.2`, running: new Map() };
  pods.push(p);
  return p;
}

/** Starts one container of the pod as the kubelet would: command replaces the entrypoint, args the command. */
function start(p: Pod, name: string): RunningImage {
  const c = p.spec.containers.find((x) => x.name === name);
  if (!c) throw new Error(`no container ${name}`);
  const { config } = inspectImage(c.image);
  // runc takes the user from the image; the chart must ask for that same user, and for the rest runImage does.
  expect([name, config.User]).toEqual([name, `${c.securityContext.runAsUser}:${c.securityContext.runAsGroup}`]);
  expect([name, c.securityContext.readOnlyRootFilesystem, c.securityContext.capabilities.drop]).toEqual([name, true, ['ALL']]);
  const running = runImage(c.image, {
    netns: p.netns,
    entrypoint: c.command,
    cmd: c.args ?? (c.command ? [] : undefined),
    env: Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value ?? ''])),
    // /tmp is runImage's own tmpfs, the emptyDir's stand-in.
    mounts: (c.volumeMounts ?? []).filter((m) => m.mountPath !== '/tmp').map((m) => ({ destination: m.mountPath, source: p.volumes[m.name]!, readonly: m.readOnly })),
  });
  p.running.set(name, running);
  return running;
}

/** Runs a command inside a running container (its mount, network and pid namespaces, its user), like an exec probe. */
function exec(p: Pod, name: string, command: string[]): { code: number; out: string } {
  const c = p.spec.containers.find((x) => x.name === name)!;
  const r = spawnSync('nsenter', ['--target', String(p.running.get(name)!.pid()), '--mount', '--net', '--pid', '--root', '--wd',
    `--setuid=${c.securityContext.runAsUser}`, `--setgid=${c.securityContext.runAsGroup}`, '--', ...command], { encoding: 'utf8', timeout: 20_000 });
  return { code: r.status ?? 1, out: `${r.stdout}${r.stderr}` };
}

/** Waits until a TCP port of the pod accepts connections, failing early when the container ended. */
async function waitForPort(p: Pod, port: number, c: RunningImage, timeoutMs = 180_000): Promise<void> {
  await waitUntil(
    () => {
      if (c.ended()) throw new Error(`the container ended:\n${c.output()}`);
      return new Promise<boolean>((resolve) => {
        const s = net.connect({ host: p.ip, port }, () => (s.destroy(), resolve(true)));
        s.on('error', () => resolve(false));
      });
    },
    (ok) => ok,
    timeoutMs,
    500,
  );
}

/** Stops a container with its image's stop signal, as the kubelet does; its exit code (null: still running after a minute). */
async function stop(c: RunningImage): Promise<number | null> {
  c.signal(c.stopSignal);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), 60_000)));
  try {
    return await Promise.race([c.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

describe('serverImageValues and the dev templates', () => {
  const refs = Object.fromEntries(SERVER_IMAGES.map((n) => [n, { repository: `localhost/userforge/dev-${n}`, tag: `1-${n}` }])) as Parameters<typeof serverImageValues>[0];
  const set = Object.entries(serverImageValues(refs)).map(([k, v]) => `${k}=${v}`);

  it('point every dev container at the local images, MongoDB\'s wire protocol served by FerretDB over PostgreSQL\'s socket', () => {
    const rendered = render({ valuesFile: path.join(CHART, 'values-dev.yaml'), set });
    const containers = (server: string) => podSpec(find(rendered, 'StatefulSet', `userforge-dev-${server}`)).containers;
    expect(containers('kafka').map((c) => c.image)).toEqual(['localhost/userforge/dev-kafka:1-kafka']);
    expect(containers('redis').map((c) => c.image)).toEqual(['localhost/userforge/dev-redis:1-redis']);
    const [pg, ferret] = containers('mongodb') as unknown as Container[];
    expect([pg!.name, pg!.image, ferret!.name, ferret!.image]).toEqual(['postgres', 'localhost/userforge/dev-postgres:1-postgres', 'mongodb', 'localhost/userforge/dev-ferretdb:1-ferretdb']);
    expect(pg!.args!.join(' ')).toContain('-c listen_addresses= ');
    expect(podSpec(find(rendered, 'StatefulSet', 'userforge-dev-mongodb')).securityContext).toMatchObject({ fsGroup: 999, fsGroupChangePolicy: 'OnRootMismatch' });
    for (const c of [pg!, ferret!]) expect(c.volumeMounts).toContainEqual({ name: 'socket', mountPath: '/var/run/postgresql' });
    expect(ferret!.command).toBeUndefined();
    expect(ferret!.args).toEqual(expect.arrayContaining(['--listen-addr=:27017', '--handler=pg', '--test-batch-size=5000']));
    // Go's soft memory limit follows the container's memory limit (values-dev sets one).
    expect(ferret!.env).toEqual([
      { name: 'GOGC', value: '400' },
      { name: 'GOMEMLIMIT', valueFrom: { resourceFieldRef: { containerName: 'mongodb', resource: 'limits.memory' } } },
    ]);
  });

  it('keep mongod as the default flavor and refuse any other', () => {
    const rendered = render({ set: ['devServers.mongodb.enabled=true'] });
    expect(podSpec(find(rendered, 'StatefulSet', 'userforge-dev-mongodb')).containers.map((c) => [c.name, c.image])).toEqual([['mongodb', 'mongo:7.0.14']]);
    const refused = helm(['template', 'x', CHART, ...SERVER_ARGS, '--set', 'devServers.mongodb.flavor=postgres']);
    expect([refused.code, refused.err]).toEqual([1, expect.stringContaining('flavor')]);
  });
});

describeRoot('the dev server images with the chart\'s dev templates', () => {
  beforeAll(() => {
    // Cold: Debian bases for Kafka, Redis and PostgreSQL (a few minutes); warm: only hashing the inputs.
    build = buildServerImages();
    const set = Object.entries(serverImageValues(build.images)).map(([k, v]) => `${k}=${v}`);
    objects = render({ valuesFile: path.join(CHART, 'values-dev.yaml'), set });
  }, 60 * 60_000);

  afterAll(() => {
    for (const p of pods) {
      for (const c of p.running.values()) c.remove();
      spawnSync('ip', ['netns', 'delete', p.netns]);
    }
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('are built as docker-archives named by their references, and the values point the chart at them', () => {
    for (const name of SERVER_IMAGES) {
      const image = build.images[name];
      expect(image.ref).toMatch(new RegExp(`^localhost/userforge/dev-${name}:[\\w.-]+-[0-9a-f]{12}$`));
      const listing = spawnSync('tar', ['-xOf', image.archive, 'manifest.json'], { encoding: 'utf8' });
      expect((JSON.parse(listing.stdout) as { RepoTags: string[] }[])[0]!.RepoTags).toEqual([image.ref]);
    }
    const images = objects.filter((o) => o.kind === 'StatefulSet').flatMap((o) => podSpec(o).containers.map((c) => String(c.image))).sort();
    expect(images).toEqual(SERVER_IMAGES.map((n) => build.images[n].ref).sort());
  });

  it('Kafka (KRaft) starts from the rendered ConfigMap, answers metadata and round-trips a record', async () => {
    const p = pod('kafka');
    const c = start(p, 'kafka');
    await waitForPort(p, 9092, c);
    // The broker advertises its pod's DNS name; here every broker address is the namespace's.
    const kafka = new Kafka({
      clientId: 'dev-server-images',
      brokers: [`${p.ip}:9092`],
      logLevel: logLevel.NOTHING,
      socketFactory: ({ port, onConnect }) => net.connect({ host: p.ip, port }, onConnect),
    });
    const admin = kafka.admin();
    await admin.connect();
    try {
      const cluster = await admin.describeCluster();
      expect(cluster.brokers.map((b) => b.host)).toEqual(['userforge-dev-kafka-0.userforge-dev-kafka-headless.userforge.svc']);
      await admin.createTopics({ topics: [{ topic: 'dev-images', numPartitions: 2 }], waitForLeaders: true });
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({ topic: 'dev-images', messages: [{ key: 'k', value: 'hello' }] });
      await producer.disconnect();
      const consumer = kafka.consumer({ groupId: 'dev-images' });
      await consumer.connect();
      await consumer.subscribe({ topic: 'dev-images', fromBeginning: true });
      const received = await new Promise<string>((resolve) => void consumer.run({ eachMessage: async ({ message }) => resolve(String(message.value)) }));
      await consumer.disconnect();
      expect(received).toBe('hello');
      // The platform creates its topics; the broker must not (auto.create.topics.enable=false from the ConfigMap).
      expect((await admin.fetchTopicMetadata({ topics: ['dev-images'] })).topics[0]!.partitions).toHaveLength(2);
    } finally {
      await admin.disconnect();
    }
    expect(c.output()).toContain('Kafka Server started');
    // The JVM ends on SIGTERM after its shutdown hooks, with 128 + 15.
    expect([0, 143]).toContain(await stop(c));
  }, 300_000);

  it('Redis answers PING, SET and GET, and its readiness probe passes inside the container', async () => {
    const p = pod('redis');
    const c = start(p, 'redis');
    await waitForPort(p, 6379, c);
    const redis = new Redis({ host: p.ip, port: 6379, lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    try {
      expect(await redis.ping()).toBe('PONG');
      expect(await redis.set('dev-images', 'hello')).toBe('OK');
      expect(await redis.get('dev-images')).toBe('hello');
      expect(await redis.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
    } finally {
      redis.disconnect();
    }
    const probe = p.spec.containers[0]!.readinessProbe!.exec!.command;
    expect(exec(p, 'redis', probe)).toEqual({ code: 0, out: '' });
    expect(await stop(c)).toBe(0);
    expect(fs.readdirSync(p.volumes.data!)).toContain('appendonlydir');
  }, 120_000);

  it('FerretDB on PostgreSQL serves inserts, queries and a unique index, and keeps them across a restart', async () => {
    const p = pod('mongodb');
    expect(p.spec.containers.map((x) => x.name)).toEqual(['postgres', 'mongodb']);
    const url = `mongodb://${p.ip}:27017/userforge?directConnection=true&serverSelectionTimeoutMS=30000`;
    const startPod = async () => {
      const pg = start(p, 'postgres');
      const ferret = start(p, 'mongodb');
      await waitUntil(async () => {
        if (pg.ended()) throw new Error(`postgres ended:\n${pg.output()}`);
        return exec(p, 'postgres', p.spec.containers[0]!.readinessProbe!.exec!.command).code;
      }, (code) => code === 0, 120_000, 500);
      await waitForPort(p, 27017, ferret);
      return { pg, ferret };
    };
    const first = await startPod();
    expect(first.pg.output()).toContain('The files belonging to this database system');
    const client = await MongoClient.connect(url);
    try {
      const users = client.db('userforge').collection<{ _id: number; email: string; country: string }>('users');
      const docs = Array.from({ length: 500 }, (_, i) => ({ _id: i, email: `user${i}@example.com`, country: i % 2 ? 'FR' : 'DE' }));
      expect((await users.insertMany(docs, { ordered: false })).insertedCount).toBe(500);
      await users.createIndex({ email: 1 }, { unique: true });
      expect(await users.countDocuments({ country: 'FR' })).toBe(250);
      expect(await users.find({ _id: { $gte: 10, $lt: 13 } }).sort({ _id: 1 }).toArray()).toEqual(docs.slice(10, 13));
      await expect(users.insertOne({ _id: 1000, email: 'user7@example.com', country: 'DE' })).rejects.toMatchObject({ code: 11000 });
    } finally {
      await client.close();
    }
    expect(await stop(first.ferret)).toBe(0);
    expect(await stop(first.pg)).toBe(0);
    p.running.clear();
    first.ferret.remove();
    first.pg.remove();

    const second = await startPod();
    expect(second.pg.output()).not.toContain('The files belonging to this database system');
    const again = await MongoClient.connect(url);
    try {
      const users = again.db('userforge').collection<{ _id: number; email: string }>('users');
      expect(await users.countDocuments({})).toBe(500);
      expect((await users.indexes()).find((i) => i.name === 'email_1')).toMatchObject({ unique: true });
      await expect(users.insertOne({ _id: 1001, email: 'user8@example.com' })).rejects.toMatchObject({ code: 11000 });
    } finally {
      await again.close();
    }
    expect(fs.readdirSync(path.join(p.volumes.data!, 'pgdata'))).toContain('PG_VERSION');
  }, 300_000);
});
