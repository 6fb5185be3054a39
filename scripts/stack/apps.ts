import fs from 'node:fs';
import path from 'node:path';
import { checkHttp } from './health';
import type { ProcessDef } from './servers';
import { REPO_ROOT, type StackSettings } from './settings';

/** The platform's own processes, by the names `npm start <app>` takes. */
export const APPS = {
  api: { entry: 'services/api/src/main.ts', portVar: 'USERFORGE_API_PORT' },
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

export function appPort(s: StackSettings, name: AppName): number {
  return { api: s.USERFORGE_API_PORT }[name];
}

/** Prometheus scrape targets for the apps' /metrics endpoints. */
export function appScrapeTargets(s: StackSettings): Record<string, string[]> {
  return Object.fromEntries(Object.keys(APPS).map((name) => [name, [`127.0.0.1:${appPort(s, name as AppName)}`]]));
}

export function tsxCommand(entry: string): { cmd: string; args: string[] } {
  const cli = require.resolve('tsx/cli', { paths: [REPO_ROOT] });
  return { cmd: process.execPath, args: [cli, path.join(REPO_ROOT, entry)] };
}

export function appDefs(s: StackSettings): ProcessDef[] {
  return (Object.keys(APPS) as AppName[])
    .filter((name) => fs.existsSync(path.join(REPO_ROOT, APPS[name].entry)))
    .map((name) => {
      const port = appPort(s, name);
      const { cmd, args } = tsxCommand(APPS[name].entry);
      return {
        name,
        ports: [port],
        portVars: [APPS[name].portVar],
        marker: path.join(REPO_ROOT, APPS[name].entry),
        startTimeoutMs: 60_000,
        prepare: () => ({ cmd, args, cwd: REPO_ROOT, env: { ...appEnv(s), PORT: String(port), NODE_ENV: 'development' } }),
        health: () => checkHttp(`http://127.0.0.1:${port}/healthz`),
      };
    });
}
