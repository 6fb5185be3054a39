import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { appEnv } from './apps';
import { provisionKubernetes } from '../kube/provision';
import { kubeconfigPath } from '../kube/servers';
import { freePort } from './procs';
import { serverDefs, type ServerName } from './servers';
import { loadStackSettings, type StackSettings } from './settings';
import { down, up } from './supervisor';

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
    USERFORGE_ETCD_PORT: String(await freePort()),
    USERFORGE_ETCD_PEER_PORT: String(await freePort()),
    USERFORGE_KUBE_APISERVER_PORT: String(await freePort()),
    USERFORGE_KUBE_CONTROLLER_MANAGER_PORT: String(await freePort()),
  });
}

export async function startIsolatedStack(
  settings: StackSettings,
  servers: ServerName[],
  log: (m: string) => void = (m) => process.stderr.write(`[stack] ${m}\n`),
) {
  const defs = serverDefs(settings, servers);
  // Builds before anything starts: the one-time build blocks, and would starve the health checks.
  const kube = servers.includes('kube') ? provisionKubernetes(settings, log) : undefined;
  // The control plane shares nothing with the other servers: start both groups side by side.
  const kubeDefs = servers.includes('kube') ? serverDefs(settings, ['kube']) : [];
  const otherDefs = serverDefs(settings, servers.filter((n) => n !== 'kube'));
  const started = await Promise.allSettled([otherDefs.length > 0 ? up(settings, otherDefs) : [], kubeDefs.length > 0 ? up(settings, kubeDefs) : []]);
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await down(settings, defs);
    throw failed.reason;
  }
  return {
    settings,
    env: appEnv(settings),
    /** The admin kubeconfig and the matching kubectl, when the stack includes `kube`. */
    kube: kube && { kubeconfig: kubeconfigPath(settings), kubectl: kube.bin('kubectl'), version: kube.version },
    async stop() {
      await down(settings, defs);
      fs.rmSync(settings.USERFORGE_STACK_DIR, { recursive: true, force: true });
    },
  };
}
