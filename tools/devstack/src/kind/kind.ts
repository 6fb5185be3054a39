/**
 * `npm run kind:*` as a module, for tests and other scripts: a kind cluster on this machine's own
 * Docker engine (engine.ts) from a node image built here (node-image.ts).
 *
 *   const k = loadKindSettings();
 *   await kindUp(k, log);              // idempotent; waits for a Ready node and kube-system
 *   kindKubeconfig(k);                 // the kubeconfig path for kubectl, helm, skaffold
 *   dockerEnv(k);                      // { DOCKER_HOST } of the engine, for docker and kind
 *   loadImages(k, ['app.tar']);        // `kind load image-archive`
 *   await kindDown(k, log);            // deletes the cluster, stops the engine, restores the host
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { REPO_ROOT } from '../stack/settings';
import { installedKubernetes } from '../kube/provision';
import { dockerEnv, enginePid, startEngine, stopEngine } from './engine';
import { traefikImage } from './images';
import { localKindConfig } from './manifests';
import { ensureNodeImage, refsFor } from './node-image';
import { clusterProblems, healthLines, type NodeView, type PodView, type StorageClassView } from './readiness';
import { kindPaths, type KindSettings } from './settings';
import { installedKindTools, provisionKindTools, type KindTools } from './tools';

export { dockerEnv } from './engine';
export { loadKindSettings, type KindSettings } from './settings';

type Log = (m: string) => void;

/** The config users run kind with; `kind:up` adds to it what this machine needs. */
export const KIND_CONFIG = path.join(REPO_ROOT, 'k8s', 'kind-config.yaml');

/** The cluster's name, as k8s/kind-config.yaml sets it. */
export function kindClusterName(): string {
  return ((yaml.load(fs.readFileSync(KIND_CONFIG, 'utf8')) as { name?: string }).name ?? 'kind').trim();
}

export const kindKubeconfig = (k: KindSettings) => kindPaths(k).kubeconfig;

/** kind and docker see the engine, and find the engine's own docker client first. */
function kindEnv(k: KindSettings, tools: Pick<KindTools, 'docker'>): NodeJS.ProcessEnv {
  return { ...process.env, ...dockerEnv(k), KIND_EXPERIMENTAL_PROVIDER: 'docker', PATH: `${path.dirname(tools.docker)}:${process.env.PATH ?? ''}` };
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, timeout = 600_000): { ok: boolean; out: string; err: string } {
  const r = spawnSync(cmd, args, { env, encoding: 'utf8', timeout, maxBuffer: 64 * 1024 * 1024 });
  return { ok: r.status === 0, out: r.stdout ?? '', err: `${r.stderr ?? ''}${r.error ? r.error.message : ''}` };
}

function kubectl(k: KindSettings, args: string[]): { ok: boolean; out: string; err: string } {
  const kube = installedKubernetes(k.stack);
  if (!kube) return { ok: false, out: '', err: 'kubectl is not built yet (npm run kind:provision)' };
  return run(kube.bin('kubectl'), ['--kubeconfig', kindKubeconfig(k), '--request-timeout=20s', ...args], process.env, 60_000);
}

function items<T>(r: { ok: boolean; out: string }): T[] {
  if (!r.ok) return [];
  try {
    return (JSON.parse(r.out) as { items: T[] }).items;
  } catch {
    return [];
  }
}

function observe(k: KindSettings) {
  return {
    nodes: items<NodeView>(kubectl(k, ['get', 'nodes', '-o', 'json'])),
    pods: items<PodView>(kubectl(k, ['get', 'pods', '-n', 'kube-system', '-o', 'json'])),
    classes: items<StorageClassView>(kubectl(k, ['get', 'storageclass', '-o', 'json'])),
  };
}

/** Whether kind knows the cluster and its node container runs (from `image`, when given: an older node image means an older recipe). */
function clusterRunning(k: KindSettings, tools: Pick<KindTools, 'kind' | 'docker'>, image?: string): boolean {
  const env = kindEnv(k, tools);
  const name = kindClusterName();
  if (!run(tools.kind, ['get', 'clusters'], env).out.split('\n').includes(name)) return false;
  const ps = run(tools.docker, ['ps', '--filter', `label=io.x-k8s.kind.cluster=${name}`, '--format', '{{.Image}}'], env);
  const images = ps.out.split('\n').filter(Boolean);
  return ps.ok && images.length > 0 && (!image || images.every((i) => i === image));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitReady(k: KindSettings, log: Log): Promise<void> {
  const deadline = Date.now() + k.USERFORGE_KIND_READY_TIMEOUT_S * 1000;
  let last: string[] = [];
  for (;;) {
    const o = observe(k);
    const problems = clusterProblems(o.nodes, o.pods, o.classes);
    if (problems.length === 0) return;
    if (problems.join() !== last.join()) log(`waiting: ${problems.join('; ')}`);
    last = problems;
    if (Date.now() > deadline) throw new Error(`the kind cluster was not ready within ${k.USERFORGE_KIND_READY_TIMEOUT_S} s: ${problems.join('; ')}`);
    await sleep(3_000);
  }
}

/** Builds what is missing (the first run takes several minutes), starts the engine and the cluster, waits until ready. */
export async function kindUp(k: KindSettings, log: Log): Promise<{ kubeconfig: string; image: string }> {
  const tools = provisionKindTools(k, log);
  const p = kindPaths(k);
  await startEngine(k, tools.engineBin, tools.docker, log);
  const image = ensureNodeImage(k, tools, log);
  const env = kindEnv(k, tools);
  const name = kindClusterName();
  if (clusterRunning(k, tools, image) && kubectl(k, ['get', '--raw', '/readyz']).ok) {
    log(`cluster ${name} is running; leaving it as it is`);
    const kc = run(tools.kind, ['get', 'kubeconfig', '--name', name], env);
    if (kc.ok) fs.writeFileSync(p.kubeconfig, kc.out, { mode: 0o600 });
  } else {
    // A cluster whose node stopped (an engine restarted), runs an older node image or does not answer is made again.
    if (run(tools.kind, ['get', 'clusters'], env).out.split('\n').includes(name)) {
      log(`replacing cluster ${name}: its node is stopped, runs another node image than ${image}, or its API server does not answer`);
      run(tools.kind, ['delete', 'cluster', '--name', name], env);
    }
    const config = localKindConfig(fs.readFileSync(KIND_CONFIG, 'utf8'), {
      apiServerAddress: k.USERFORGE_KIND_ENGINE_ADDRESS,
      apiServerPort: k.USERFORGE_KIND_APISERVER_PORT,
      refs: refsFor(k, tools.kube.version),
    });
    fs.writeFileSync(p.config, config);
    log(`creating cluster ${name} (kind create cluster --config ${p.config} --image ${image})`);
    const started = Date.now();
    const created = run(tools.kind, ['create', 'cluster', '--name', name, '--config', p.config, '--image', image, '--kubeconfig', p.kubeconfig, '--retain'], env, 15 * 60_000);
    fs.writeFileSync(path.join(p.logs, 'kind-create.log'), `${created.out}\n${created.err}`);
    if (!created.ok) {
      const logs = path.join(p.logs, 'kind-export');
      run(tools.kind, ['export', 'logs', logs, '--name', name], env);
      throw new Error(`kind create cluster failed (node logs in ${logs}):\n${created.err.trim().split('\n').slice(-20).join('\n')}`);
    }
    log(`kind create cluster took ${Math.round((Date.now() - started) / 1000)} s`);
  }
  await waitReady(k, log);
  return { kubeconfig: p.kubeconfig, image };
}

/** Deletes the cluster and stops the engine; the node image stays in the engine's data for the next `kind:up`. */
export async function kindDown(k: KindSettings, log: Log): Promise<void> {
  const tools = installedKindTools(k);
  if (tools && enginePid(k)) {
    log(`deleting cluster ${kindClusterName()}`);
    const r = run(tools.kind, ['delete', 'cluster', '--name', kindClusterName()], kindEnv(k, tools));
    if (!r.ok) log(`kind delete cluster: ${r.err.trim()}`);
  }
  await stopEngine(k, log);
  fs.rmSync(kindKubeconfig(k), { force: true });
}

export interface KindStatus {
  engine: boolean;
  cluster: boolean;
  kubeconfig: string;
  lines: string[];
  problems: string[];
}

export function kindStatus(k: KindSettings): KindStatus {
  const tools = installedKindTools(k);
  const engine = Boolean(tools && enginePid(k));
  const cluster = Boolean(tools && engine && clusterRunning(k, tools));
  if (!cluster) return { engine, cluster, kubeconfig: kindKubeconfig(k), lines: [], problems: [engine ? 'the cluster is not running' : 'the engine is not running'] };
  const o = observe(k);
  return { engine, cluster, kubeconfig: kindKubeconfig(k), lines: healthLines(o.nodes, o.pods), problems: clusterProblems(o.nodes, o.pods, o.classes) };
}

/** `kind load image-archive` of each archive (docker-archive or OCI) into the cluster's node. */
export function loadImages(k: KindSettings, archives: string[]): void {
  const tools = installedKindTools(k);
  if (!tools || !enginePid(k)) throw new Error('the kind cluster is not running (npm run kind:up)');
  for (const archive of archives) {
    const r = run(tools.kind, ['load', 'image-archive', archive, '--name', kindClusterName()], kindEnv(k, tools));
    if (!r.ok) throw new Error(`kind load image-archive ${archive} failed: ${r.err.trim().slice(-1500)}`);
  }
}

/** Builds everything `kind:up` needs, the node image included (the engine runs only as long as that takes). */
export async function kindProvision(k: KindSettings, log: Log): Promise<string> {
  const tools = provisionKindTools(k, log);
  // The ingress controller's image too: kind:up would otherwise build it (minutes) on its first run.
  traefikImage(k, log);
  const wasRunning = Boolean(enginePid(k));
  await startEngine(k, tools.engineBin, tools.docker, log);
  try {
    return ensureNodeImage(k, tools, log);
  } finally {
    if (!wasRunning) await stopEngine(k, log);
  }
}
