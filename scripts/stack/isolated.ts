import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { appEnv } from './apps';
import { freePort } from './procs';
import { serverDefs, type ServerName } from './servers';
import { loadStackSettings, type StackSettings } from './settings';
import { down, up } from './stack';

/**
 * A stack of real servers on free ports in a temporary directory, so tests never touch a
 * developer's running stack or its data. Artefacts come from the same cache as `stack:up`.
 */
export async function isolatedSettings(label: string): Promise<StackSettings> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `userforge-${label}-`));
  return loadStackSettings({
    ...process.env,
    USERFORGE_STACK_DIR: dir,
    USERFORGE_KAFKA_PORT: String(await freePort()),
    USERFORGE_KAFKA_CONTROLLER_PORT: String(await freePort()),
    USERFORGE_MONGO_PORT: String(await freePort()),
    USERFORGE_POSTGRES_PORT: String(await freePort()),
    USERFORGE_REDIS_PORT: String(await freePort()),
    USERFORGE_PROMETHEUS_PORT: String(await freePort()),
    USERFORGE_API_PORT: String(await freePort()),
  });
}

export async function startIsolatedStack(settings: StackSettings, servers: ServerName[]) {
  const defs = serverDefs(settings, servers);
  await up(settings, defs);
  return {
    settings,
    env: appEnv(settings),
    async stop() {
      await down(settings, defs);
      fs.rmSync(settings.USERFORGE_STACK_DIR, { recursive: true, force: true });
    },
  };
}
