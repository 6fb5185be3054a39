import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { checkHttp } from './health';
import { installedKubernetes } from '../kube/provision';
import { kubeconfigPath } from '../kube/servers';
import type { ProcessDef } from './process-def';
import { serverDefs, type ServerName } from './servers';
import { REPO_ROOT, type StackSettings } from './settings';

/** The platform's own processes, by the names `npm start <app>` takes. */
export const APPS = {
  api: {
    entry: 'services/api/src/main.ts',
    portEnv: 'PORT',
    portVar: 'USERFORGE_API_PORT',
    // V8's heap kept near what is live: an export's short-lived objects grew it 91–130 MB, 28–29 MB with
    // these (docs/benchmarks.md, "Exporting a job's users"). The image's CMD passes the same flags.
    nodeArgs: ['--heap-growing-percent=50', '--max-semi-space-size=8'],
  },
  consumer: {
    entry: 'services/consumer/src/main.ts',
    portEnv: 'METRICS_PORT',
    portVar: 'USERFORGE_CONSUMER_METRICS_PORT',
    // V8's young generation, set rather than left to the memory V8 sees: the consumer allocates
    // about 1 KB of short-lived objects per user, and under a 768Mi cgroup limit V8 picks 4 MB
    // semi-spaces (16 MB on a large host), which cost 1.6× the CPU in scavenges (docs/benchmarks.md,
    // "The consumers' young generation"). The chart sets the same through consumer.nodeOptions.
    nodeArgs: ['--max-semi-space-size=32'],
  },
  operator: { entry: 'operator/src/main.ts', portEnv: 'METRICS_PORT', portVar: 'USERFORGE_OPERATOR_METRICS_PORT' },
} as const;

export type AppName = keyof typeof APPS;

export const isAppName = (name: string): name is AppName => Object.hasOwn(APPS, name);

/** Environment an app needs to reach this stack's servers. */
export function appEnv(s: StackSettings): { MONGO_URL: string; REDIS_URL: string; KAFKA_BROKERS: string } {
  return {
    MONGO_URL: `mongodb://127.0.0.1:${s.USERFORGE_MONGO_PORT}/userforge`,
    REDIS_URL: `redis://127.0.0.1:${s.USERFORGE_REDIS_PORT}`,
    KAFKA_BROKERS: `127.0.0.1:${s.USERFORGE_KAFKA_PORT}`,
  };
}

interface Instance {
  id: string;
  app: AppName;
  port: number;
}

/** Every app process `up --apps` runs: one API, USERFORGE_CONSUMERS consumers, and the operator when the stack runs `kube`. */
export function appInstances(s: StackSettings): Instance[] {
  const consumers = Array.from({ length: s.USERFORGE_CONSUMERS }, (_, i) => ({
    id: `consumer-${i + 1}`,
    app: 'consumer' as const,
    port: s.USERFORGE_CONSUMER_METRICS_PORT + i,
  }));
  const operator = s.USERFORGE_STACK_SERVERS.includes('kube') ? [{ id: 'operator', app: 'operator' as const, port: s.USERFORGE_OPERATOR_METRICS_PORT }] : [];
  return [{ id: 'api', app: 'api', port: s.USERFORGE_API_PORT }, ...consumers, ...operator];
}

/** Prometheus scrape targets for the apps' /metrics endpoints, one job per app. */
export function appScrapeTargets(s: StackSettings): Record<string, string[]> {
  const targets: Record<string, string[]> = {};
  for (const i of appInstances(s)) (targets[i.app] ??= []).push(`127.0.0.1:${i.port}`);
  return targets;
}

/**
 * Node itself with tsx's loader, not the tsx CLI: the CLI runs the script in a child process, so
 * its pid (and a SIGKILL sent to it) would not be the app's.
 */
export function tsxCommand(entry: string, extraNodeArgs: readonly string[] = [], opts: { appNodeArgs?: boolean } = {}): { cmd: string; args: string[] } {
  const app = Object.values(APPS).find((a) => a.entry === entry);
  // `appNodeArgs: false` leaves out the app's own flags (a benchmark measuring node's defaults).
  const appNodeArgs: readonly string[] = opts.appNodeArgs !== false && app && 'nodeArgs' in app ? app.nodeArgs : [];
  // The caller's flags after the app's: V8 takes the last value of a flag given twice.
  return { cmd: process.execPath, args: [...appNodeArgs, ...extraNodeArgs, '--import', 'tsx', path.join(REPO_ROOT, entry)] };
}

/** The dashboard's development server (Vite) pointed at this stack's API. */
export function dashboardCommand(s: StackSettings): { cmd: string; args: string[]; cwd: string; env: Record<string, string> } {
  return {
    cmd: process.execPath,
    args: [path.join(REPO_ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), '--port', String(s.USERFORGE_DASHBOARD_PORT), '--strictPort', '--host', '127.0.0.1'],
    cwd: path.join(REPO_ROOT, 'dashboard'),
    env: { VITE_API_URL: `http://127.0.0.1:${s.USERFORGE_API_PORT}` },
  };
}

function dashboardDef(s: StackSettings): ProcessDef {
  const command = dashboardCommand(s);
  return {
    name: 'dashboard',
    ports: [s.USERFORGE_DASHBOARD_PORT],
    portVars: ['USERFORGE_DASHBOARD_PORT'],
    marker: `vite.js --port ${s.USERFORGE_DASHBOARD_PORT}`,
    startTimeoutMs: 60_000,
    prepare: () => ({ cmd: command.cmd, args: command.args, cwd: command.cwd, env: command.env }),
    health: () => checkHttp(`http://127.0.0.1:${s.USERFORGE_DASHBOARD_PORT}/`),
  };
}

/** The UserGenerationJob CRD the operator serves, applied before it starts (idempotent). */
function installCrd(s: StackSettings): void {
  const kubectl = installedKubernetes(s)?.bin('kubectl');
  if (!kubectl) throw new Error('kubectl is missing: run `npm run stack:provision -- --kube`');
  const r = spawnSync(kubectl, ['--kubeconfig', kubeconfigPath(s), 'apply', '--server-side', '--force-conflicts', '-f', path.join(REPO_ROOT, 'k8s', 'crds')], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`could not apply the UserGenerationJob CRD: ${r.stderr || r.stdout}`);
}

export function appDefs(s: StackSettings): ProcessDef[] {
  const dashboard = fs.existsSync(path.join(REPO_ROOT, 'dashboard', 'index.html')) ? [dashboardDef(s)] : [];
  return [...appProcessDefs(s), ...dashboard];
}

function appProcessDefs(s: StackSettings): ProcessDef[] {
  return appInstances(s)
    .filter((i) => fs.existsSync(path.join(REPO_ROOT, APPS[i.app].entry)))
    .map((i) => {
      const { cmd, args } = tsxCommand(APPS[i.app].entry);
      return {
        name: i.id,
        ports: [i.port],
        portVars: [APPS[i.app].portVar],
        // The instance id on the command line tells consumer-1 from consumer-2.
        marker: `${path.join(REPO_ROOT, APPS[i.app].entry)} --instance=${i.id}`,
        startTimeoutMs: 60_000,
        prepare: () => {
          if (i.app === 'operator') installCrd(s);
          return {
            cmd,
            args: [...args, `--instance=${i.id}`],
            cwd: REPO_ROOT,
            env: {
              ...appEnv(s),
              [APPS[i.app].portEnv]: String(i.port),
              NODE_ENV: 'development',
              ...(i.app === 'api' ? { PROMETHEUS_URL: `http://127.0.0.1:${s.USERFORGE_PROMETHEUS_PORT}` } : {}),
              // The local consumers are processes, not a Deployment: the operator has nothing to scale here.
              ...(i.app === 'operator' ? { KUBECONFIG: kubeconfigPath(s), POD_NAME: 'operator-local' } : {}),
            },
          };
        },
        health: () => checkHttp(`http://127.0.0.1:${i.port}/healthz`),
      };
    });
}

/**
 * The servers asked for and, with `withApps`, the apps that go with them: the operator comes with
 * `kube` whether it is in the settings or asked for by `--kube`.
 */
export function stackDefs(settings: StackSettings, servers: readonly ServerName[], withApps: boolean): ProcessDef[] {
  const s = { ...settings, USERFORGE_STACK_SERVERS: [...servers] };
  const defined = serverDefs(s, servers, appScrapeTargets(s));
  return withApps ? [...defined, ...appDefs(s)] : defined;
}
