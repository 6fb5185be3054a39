/**
 * What the cluster end-to-end test stands on: the single-node cluster of `npm run cluster:up`, a
 * local stack whose servers pods reach at the node's address, the app images built with buildah and
 * imported into the node's containerd, and kubectl/helm against that cluster.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { adminKubeconfig, clusterDown, clusterStatus, clusterUp } from '../../scripts/cluster/cluster';
import { ctr } from '../../scripts/cluster/containerd';
import { loadClusterSettings, type ClusterSettings } from '../../scripts/cluster/settings';
import { buildImages, IMAGE_APPS, type ImagesBuild } from '../../scripts/images/build';
import { installedKubernetes } from '../../scripts/stack/kube/provision';
import { freePort } from '../../scripts/stack/procs';
import { isolatedSettings, startIsolatedStack } from '../../scripts/stack/isolated';
import { REPO_ROOT, type StackSettings } from '../../scripts/stack/settings';
import { helmBinary } from '../chart/helm';

export const RESULTS = path.join(REPO_ROOT, 'test-results');
const log = (m: string) => process.stderr.write(`[cluster-e2e] ${m}\n`);

/** The node runs containers and changes the host's network: root only. A failure, never a skip. */
export function requireRoot(): void {
  if (process.getuid?.() !== 0) {
    throw new Error('test/cluster/e2e.test.ts needs root: the single-node cluster (npm run cluster:up) adds an interface, runs containerd and the kubelet. Run the tests as root (CI does).');
  }
}

/** The cluster, started when it is not running; `stop` undoes only what this call started. */
export async function ensureCluster(): Promise<{ c: ClusterSettings; startedHere: boolean; stop(): Promise<void> }> {
  const c = loadClusterSettings();
  const healthy = (await clusterStatus(c)).every((r) => r.state === 'healthy');
  if (!healthy) await clusterUp(c, log);
  return {
    c,
    startedHere: !healthy,
    async stop() {
      if (!healthy) await clusterDown(c, log);
    },
  };
}

/** The local stack on free ports, with its servers also at the node's address for pods, and Prometheus discovering pods. */
export async function startPodStack(c: ClusterSettings) {
  const base = await isolatedSettings('cluster-e2e');
  const settings = {
    ...base,
    USERFORGE_STACK_POD_ADDRESS: c.USERFORGE_CLUSTER_ADDRESS,
    USERFORGE_KAFKA_POD_PORT: await freePort(),
    USERFORGE_PROMETHEUS_KUBECONFIG: adminKubeconfig(c),
  };
  const stack = await startIsolatedStack(settings, ['mongo', 'redis', 'kafka', 'prometheus'], log);
  const at = c.USERFORGE_CLUSTER_ADDRESS;
  return {
    ...stack,
    /** How pods reach the servers (the chart's external servers). */
    forPods: {
      kafka: `${at}:${settings.USERFORGE_KAFKA_POD_PORT}`,
      mongo: `mongodb://${at}:${settings.USERFORGE_MONGO_PORT}/userforge`,
      redis: `redis://${at}:${settings.USERFORGE_REDIS_PORT}`,
      ports: { kafka: settings.USERFORGE_KAFKA_POD_PORT, mongo: settings.USERFORGE_MONGO_PORT, redis: settings.USERFORGE_REDIS_PORT },
    },
    prometheus: `http://127.0.0.1:${settings.USERFORGE_PROMETHEUS_PORT}`,
  };
}

/**
 * The four images (cached by input hash), imported into the node's containerd and tagged with the
 * build's hash, so the release runs exactly this build. Returns that tag.
 */
export function importAppImages(c: ClusterSettings): { tag: string; build: ImagesBuild } {
  const build = buildImages({ log });
  log(`images ${build.cached ? 'cached' : `built in ${build.seconds.toFixed(0)} s`}: ${IMAGE_APPS.map((a) => `${a} ${(build.images[a].bytes / 1e6).toFixed(0)} MB`).join(', ')}`);
  const tag = build.hash.slice(0, 12);
  for (const app of IMAGE_APPS) {
    const image = build.images[app];
    const imported = ctr(c, ['-n', 'k8s.io', 'images', 'import', image.archive], 300_000);
    if (!imported.ok) throw new Error(`importing ${image.archive} into the node failed: ${imported.out}`);
    const name = `docker.io/${image.ref}`;
    const tagged = ctr(c, ['-n', 'k8s.io', 'images', 'tag', '--force', name, name.replace(/:[^:/]+$/, `:${tag}`)]);
    if (!tagged.ok) throw new Error(`tagging ${name} in the node failed: ${tagged.out}`);
  }
  return { tag, build };
}

export interface Run {
  code: number;
  out: string;
  err: string;
}

export function cluster(c: ClusterSettings) {
  return kubeClient(adminKubeconfig(c), c.stack);
}

/** kubectl, helm and JSON reads against the cluster of one kubeconfig (this node's, or kind's). */
export function kubeClient(kubeconfig: string, s: StackSettings) {
  const kube = installedKubernetes(s);
  if (!kube) throw new Error('Kubernetes is not built: run `npm run stack:provision -- --kube` once (it builds into the cache).');
  const run = (bin: string, args: string[], input?: string, timeout = 120_000): Run => {
    const r = spawnSync(bin, args, { input, encoding: 'utf8', timeout, cwd: REPO_ROOT, maxBuffer: 64 * 1024 * 1024 });
    return { code: r.status ?? 1, out: r.stdout ?? '', err: (r.stderr ?? '') + (r.error ? String(r.error) : '') };
  };
  const kubectl = (args: string[], input?: string) => run(kube.bin('kubectl'), ['--kubeconfig', kubeconfig, ...args], input);
  const helm = (args: string[], timeout = 900_000) => run(helmBinary(), ['--kubeconfig', kubeconfig, ...args], undefined, timeout);
  const ok = (r: Run, what: string) => {
    if (r.code !== 0) throw new Error(`${what} failed (${r.code}):\n${r.err || r.out}`);
    return r.out;
  };
  const json = <T>(args: string[]): T => JSON.parse(ok(kubectl([...args, '-o', 'json']), `kubectl ${args.join(' ')}`)) as T;
  return { kubeconfig, kubectlBin: kube.bin('kubectl'), kubectl, helm, ok, json, apply: (o: object) => ok(kubectl(['apply', '-f', '-'], yaml.dump(o)), 'kubectl apply') };
}

/** Two node ports no Service of the cluster uses yet (the dashboard's origin must be known before install for CORS). */
export function freeNodePorts(k: ReturnType<typeof cluster>, n: number): number[] {
  const services = k.json<{ items: { spec: { ports?: { nodePort?: number }[] } }[] }>(['get', 'services', '-A']);
  const used = new Set(services.items.flatMap((s) => (s.spec.ports ?? []).map((p) => p.nodePort)));
  const picked: number[] = [];
  while (picked.length < n) {
    const port = 30000 + Math.floor(Math.random() * 2768);
    if (!used.has(port) && !picked.includes(port)) picked.push(port);
  }
  return picked;
}

export function writeValues(file: string, values: object): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, yaml.dump(values));
  return file;
}

/** Appends a titled command output to the run's record (the README quotes it). */
export function record(file: string, title: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.appendFileSync(file, `# ${title} (${new Date().toISOString()})\n${text.trimEnd()}\n\n`);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
