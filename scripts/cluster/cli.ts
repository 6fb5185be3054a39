import { printStatusTable, runCli } from '../stack/run-cli';
import { adminKubeconfig, clusterDown, clusterReset, clusterStatus, clusterUp, provisionCluster } from './cluster';
import { clusterPaths, loadClusterSettings } from './settings';

const USAGE = `usage: cluster <provision|up|status|down|reset>

  provision  builds what the node needs into the cache (CoreDNS, Traefik; the pause, busybox,
             CoreDNS and Traefik images), starting nothing
  up      a single-node Kubernetes cluster on this machine, without Docker: etcd, kube-apiserver,
          kube-controller-manager, kube-scheduler, containerd, kubelet, kube-proxy, CoreDNS and
          Traefik as the ingress controller (the first run builds what it needs into the cache; needs root)
  status  asks each process, the node's Ready condition, the cluster DNS and the ingress (exit 1 if any fails)
  down    stops the cluster's processes and pods, and restores the host as recorded before up
  reset   down, then deletes the cluster's state`;

const log = (m: string) => console.log(`[cluster] ${m}`);

async function main(command: string | undefined): Promise<number> {
  const c = loadClusterSettings();
  const p = clusterPaths(c);
  switch (command) {
    case 'provision':
      provisionCluster(c, log);
      log(`ready in ${c.stack.USERFORGE_CACHE_DIR}`);
      return 0;
    case 'up':
      await clusterUp(c, log);
      log(`cluster up. logs: ${p.logs}`);
      log(`kubeconfig: ${adminKubeconfig(c)}  (kubectl --kubeconfig ${adminKubeconfig(c)} get nodes -o wide)`);
      return 0;
    case 'status': {
      const rows = await clusterStatus(c);
      printStatusTable(rows);
      console.log(`logs: ${p.logs}`);
      console.log(`kubeconfig: ${adminKubeconfig(c)}`);
      return rows.every((r) => r.state === 'healthy') ? 0 : 1;
    }
    case 'down': {
      const drift = await clusterDown(c, log);
      log(drift.length === 0 ? 'stopped; host restored; state kept (npm run cluster:reset deletes it)' : 'stopped, but the host is not fully restored (see above)');
      return drift.length === 0 ? 0 : 1;
    }
    case 'reset':
      await clusterReset(c, log);
      return 0;
    default:
      console.error(USAGE);
      return 2;
  }
}

runCli('cluster', () => main(process.argv[2]));
