import { installAddons } from '../kind/addons';
import { kindDown, kindProvision, kindStatus, kindUp, loadImages } from '../kind/kind';
import { loadKindSettings } from '../kind/settings';

const USAGE = `usage: kind <provision|up|status|down>

  provision  builds what kind:up needs into the cache (kind, kubeadm, etcd, kube-network-policies,
             local-path-provisioner; Debian's Docker engine unpacked; Traefik's image) and the node image
  up         a kind cluster (k8s/kind-config.yaml) on a Docker engine of the project's own, in a network
             namespace of its own, with its add-ons (Traefik as ingress, the Prometheus Operator); the
             first run builds what it needs; waits for a Ready node (needs root)
  status     the kubeconfig's path, the node's and kube-system's health (exit 1 if not healthy)
  down       deletes the cluster, stops the engine; the host is as it was before up`;

const log = (m: string) => console.log(`[kind] ${m}`);

/** `npm run kind:*`: returns the exit code. */
export async function kindCli(command: string | undefined): Promise<number> {
  const k = loadKindSettings();
  const started = Date.now();
  const took = () => `${Math.round((Date.now() - started) / 1000)} s`;
  switch (command) {
    case 'provision': {
      const image = await kindProvision(k, log);
      log(`ready in ${took()}: node image ${image}`);
      return 0;
    }
    case 'up': {
      const { kubeconfig } = await kindUp(k, log);
      // What a kind user installs from the internet before skaffold dev, built here.
      await installAddons(k, kubeconfig, (archives) => loadImages(k, archives), log);
      log(`cluster up in ${took()}`);
      log(`kubeconfig: ${kubeconfig}  (kubectl --kubeconfig ${kubeconfig} get nodes -o wide)`);
      return 0;
    }
    case 'status': {
      const s = kindStatus(k);
      console.log(`engine: ${s.engine ? 'running' : 'stopped'}`);
      console.log(`cluster: ${s.cluster ? 'running' : 'not running'}`);
      for (const line of s.lines) console.log(line);
      for (const p of s.problems) console.log(`problem: ${p}`);
      console.log(`kubeconfig: ${s.kubeconfig}`);
      return s.problems.length === 0 ? 0 : 1;
    }
    case 'down':
      await kindDown(k, log);
      log('cluster deleted, engine stopped (the node image is kept for the next kind:up)');
      return 0;
    default:
      console.error(USAGE);
      return 2;
  }
}
