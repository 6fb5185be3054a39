import fs from 'node:fs';
import path from 'node:path';
import { checkHttp } from './health';
import type { ProcessDef } from './servers';
import { REPO_ROOT, type StackSettings } from './settings';

/** The platform's own processes, by the names `npm start <app>` takes. */
export const APPS = {
  api: { entry: 'services/api/src/main.ts', portEnv: 'PORT', portVar: 'USERFORGE_API_PORT' },
  consumer: { entry: 'services/consumer/src/main.ts', portEnv: 'METRICS_PORT', portVar: 'USERFORGE_CONSUMER_METRICS_PORT' },
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

/** Every app process `up --apps` runs: one API, USERFORGE_CONSUMERS consumers. */
export function appInstances(s: StackSettings): Instance[] {
  const consumers = Array.from({ length: s.USERFORGE_CONSUMERS }, (_, i) => ({
    id: `consumer-${i + 1}`,
    app: 'consumer' as const,
    port: s.USERFORGE_CONSUMER_METRICS_PORT + i,
  }));
  return [{ id: 'api', app: 'api', port: s.USERFORGE_API_PORT }, ...consumers];
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
export function tsxCommand(entry: string): { cmd: string; args: string[] } {
  return { cmd: process.execPath, args: ['--import', 'tsx', path.join(REPO_ROOT, entry)] };
}

export function appDefs(s: StackSettings): ProcessDef[] {
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
        prepare: () => ({
          cmd,
          args: [...args, `--instance=${i.id}`],
          cwd: REPO_ROOT,
          env: { ...appEnv(s), [APPS[i.app].portEnv]: String(i.port), NODE_ENV: 'development' },
        }),
        health: () => checkHttp(`http://127.0.0.1:${i.port}/healthz`),
      };
    });
}
