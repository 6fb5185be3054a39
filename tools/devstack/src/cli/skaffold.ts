/**
 * `npm run skaffold -- <dev|run|delete|...> [skaffold flags]`: the provisioned skaffold against the
 * cluster of `npm run kind:up`, on this machine where nothing can be pulled. It gives skaffold the
 * engine (DOCKER_HOST), the kind context, and the tools on PATH (docker, kind, helm, kubectl), turns
 * on the `local-bases` profile (images built with buildah from the local bases, handed to the engine,
 * then `kind load`ed by skaffold) and adds one values file: the chart's dev servers on images built
 * here (loaded into the node first) and the IngressClass this cluster serves. A user with Docker,
 * kind and internet runs plain `skaffold dev` instead.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { buildServerImages, serverImageValues, SERVER_IMAGES } from '../images/servers';
import { localClusterValues } from '../kind/addons';
import { dockerEnv, kindClusterName, kindKubeconfig, kindStatus, loadImages } from '../kind/kind';
import { kindPaths, loadKindSettings, type KindSettings } from '../kind/settings';
import { installedKindTools } from '../kind/tools';
import { installedKubernetes, provisionHelm } from '../kube/provision';
import { provisionSkaffold } from '../kube/tools';
import { REPO_ROOT } from '../stack/settings';

const log = (m: string) => process.stderr.write(`[skaffold] ${m}\n`);

/** `a.b.c: v` pairs as the nested map a values file holds. */
export function nest(flat: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(flat)) {
    const parts = key.split('.');
    let at = out;
    for (const p of parts.slice(0, -1)) at = (at[p] ??= {}) as Record<string, unknown>;
    at[parts[parts.length - 1]!] = value;
  }
  return out;
}

/** skaffold's arguments: the kind context, the local profile and the global config, after the command. */
export function skaffoldArgs(argv: string[], o: { context: string; globalConfig: string }): string[] {
  const [command, ...rest] = argv;
  if (!command) throw new Error('usage: npm run skaffold -- <dev|run|build|delete|render|diagnose> [skaffold flags]');
  const profiles = rest.some((a) => a === '-p' || a.startsWith('--profile')) ? [] : ['--profile', 'local-bases'];
  // skaffold dev's default `notify` trigger watches the whole workspace and waits for it to be quiet
  // before it rebuilds. Here the workspace holds `.stack/` (the kind engine's data, the local stack's
  // servers), where etcd, Kafka and the kubelet write several times a second: an edit was never
  // picked up (seen with `-v debug`: a stream of "Change detected" under .stack, no build). `polling`
  // compares only the artifacts' dependencies each second.
  const trigger = command === 'dev' && !rest.some((a) => a.startsWith('--trigger')) ? ['--trigger=polling'] : [];
  return [command, '--kube-context', o.context, '--config', o.globalConfig, ...profiles, ...trigger, ...rest];
}

/** The values this machine adds to values-dev.yaml: dev servers on local images, this cluster's add-ons. */
function writeLocalValues(k: KindSettings): string {
  const build = buildServerImages({ log });
  log(`loading the dev server images into the node: ${SERVER_IMAGES.map((n) => build.images[n].ref).join(', ')}`);
  loadImages(k, SERVER_IMAGES.map((n) => build.images[n].archive));
  const values = nest({ ...serverImageValues(build.images), ...localClusterValues() });
  const file = path.join(kindPaths(k).conf, 'skaffold-values.yaml');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `# Written by npm run skaffold: what this machine adds to values-dev.yaml.\n${yaml.dump(values)}`);
  return file;
}

function main(): Promise<number> {
  const k = loadKindSettings();
  const status = kindStatus(k);
  const tools = installedKindTools(k);
  const kube = installedKubernetes(k.stack);
  if (!status.cluster || !tools || !kube) throw new Error(`the kind cluster is not running (${status.problems.join('; ')}): run \`npm run kind:up\` first`);
  // Built on first use (from its Go module, a few minutes; then cached).
  const skaffold = provisionSkaffold(k.stack, log);
  const helm = provisionHelm(k.stack, log);
  const globalConfig = path.join(kindPaths(k).conf, 'skaffold-global.yaml');
  // Nothing leaves the machine: no update check, no metrics, no survey prompt.
  fs.writeFileSync(globalConfig, yaml.dump({ global: { 'update-check': false, 'collect-metrics': false, survey: { 'disable-prompt': true } } }));
  const valuesFile = writeLocalValues(k);
  const env = {
    ...process.env,
    ...dockerEnv(k),
    KUBECONFIG: kindKubeconfig(k),
    USERFORGE_LOCAL_VALUES: valuesFile,
    SKAFFOLD_UPDATE_CHECK: 'false',
    SKAFFOLD_INTERACTIVE: 'false',
    PATH: [...new Set([tools.docker, tools.kind, helm, kube.bin('kubectl')].map((b) => path.dirname(b))), process.env.PATH ?? ''].join(':'),
  };
  const args = skaffoldArgs(process.argv.slice(2), { context: `kind-${kindClusterName()}`, globalConfig });
  log(`skaffold ${args.join(' ')}`);
  const child = spawn(skaffold, args, { cwd: REPO_ROOT, env, stdio: 'inherit' });
  // skaffold dev cleans up on SIGINT/SIGTERM: pass them on and wait for it.
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => child.kill(sig));
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))));
}

export function skaffoldCli(): void {
  main().then(
    (code) => process.exit(code),
    (e: unknown) => {
      log((e as Error).message);
      process.exit(1);
    },
  );
}
