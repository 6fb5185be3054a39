import fs from 'node:fs';
import path from 'node:path';
import { appDefs, stackDefs } from '../stack/apps';
import { provisionEtcd, provisionHelm, provisionKubernetes, provisionOpenssl } from '../kube/provision';
import { kubeconfigPath } from '../kube/servers';
import { provisionHelmDocs, provisionSkaffold } from '../kube/tools';
import { provisionFerretDb, provisionKafka, provisionPrometheus, provisionRedis } from '../stack/provision';
import { SERVER_NAMES, serverDefs, type ServerName } from '../stack/servers';
import { loadStackSettings, stackPaths, type StackSettings } from '../stack/settings';
import { printStatusTable } from './run-cli';
import { down, reset, status, up, type ProcessStatus } from '../stack/supervisor';

const USAGE = `usage: stack <provision|up|status|down|reset> [--apps] [--kube]

  provision  fetch and build what the servers need (cached; up does this too)
  up       provision (first run only) and start Kafka, the MongoDB-wire database, Redis and
           Prometheus; with --apps also the platform's apps, in the background; with --kube also
           etcd, kube-apiserver and kube-controller-manager (the first run builds Kubernetes)
  status   health of each server (exit 1 if any is down)
  down     stop what this stack started; data is kept
  reset    stop everything and delete the stack's data and logs`;

const log = (m: string) => console.log(`[stack] ${m}`);

const printKubeconfig = (s: StackSettings) => log(`kubeconfig: ${kubeconfigPath(s)}  (kubectl --kubeconfig ${kubeconfigPath(s)} get ns)`);

/** `npm run stack:*`: returns the exit code. */
export async function stackCli(argv: string[]): Promise<number> {
  const [command, ...flags] = argv;
  const withApps = flags.includes('--apps');
  const s = loadStackSettings();
  const paths = stackPaths(s);
  const servers: ServerName[] = [...new Set([...s.USERFORGE_STACK_SERVERS, ...(flags.includes('--kube') ? (['kube'] as const) : [])])];
  const withKube = servers.includes('kube');
  switch (command) {
    case 'provision':
      provisionFerretDb(s, log);
      provisionKafka(s, log);
      provisionRedis();
      provisionPrometheus();
      if (withKube) {
        provisionEtcd();
        provisionOpenssl();
        const kube = provisionKubernetes(s, log);
        log(`Kubernetes v${kube.version}: ${path.dirname(kube.bin('kubectl'))}`);
        log(`Helm: ${provisionHelm(s, log)}`);
        log(`helm-docs: ${provisionHelmDocs(s, log)}`);
        log(`Skaffold: ${provisionSkaffold(s, log)}`);
      }
      log(`artefacts ready in ${s.USERFORGE_CACHE_DIR}`);
      return 0;
    case 'up': {
      await up(s, stackDefs(s, servers, withApps), log);
      log(`all up. logs: ${paths.logs}`);
      if (withKube) printKubeconfig(s);
      return 0;
    }
    case 'status': {
      const requested = await status(s, serverDefs(s, servers));
      // Apps and the kube servers count only once `up --apps` / `up --kube` started them (a pid file exists).
      const started = (rows: ProcessStatus[]) =>
        rows.filter((a) => a.state !== 'stopped' || fs.existsSync(path.join(paths.run, `${a.name}.pid`)));
      const kube = withKube ? [] : started(await status(s, serverDefs(s, ['kube'])));
      const apps = started(await status(s, appDefs({ ...s, USERFORGE_STACK_SERVERS: [...SERVER_NAMES] })));
      const rows = [...requested, ...kube, ...apps];
      printStatusTable(rows);
      console.log(`logs: ${paths.logs}`);
      if (withKube || kube.length > 0) console.log(`kubeconfig: ${kubeconfigPath(s)}`);
      return rows.every((r) => r.state === 'healthy') ? 0 : 1;
    }
    case 'down':
      // Everything this stack may have started, whatever `up` was asked for.
      await down(s, stackDefs(s, SERVER_NAMES, true), log);
      log('stopped; data kept (npm run stack:reset deletes it)');
      return 0;
    case 'reset':
      await reset(s, stackDefs(s, SERVER_NAMES, true), log);
      return 0;
    default:
      console.error(USAGE);
      return 2;
  }
}
