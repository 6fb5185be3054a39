/**
 * The monitoring of scripts/monitoring/install.ts on the kind cluster of `npm run kind:up`, which is
 * brought up first when it is not running. `npx tsx scripts/monitoring/kind.ts` installs it.
 */
import { kindDown, kindKubeconfig, kindStatus, kindUp, loadImages, loadKindSettings } from '../kind/kind';
import { installMonitoring, MONITORING_NAMESPACE, PROMETHEUS_NAME } from './install';

type Log = (m: string) => void;

/** The running kind cluster (started when needed): its kubeconfig, how images get into its node, and `stop`, which undoes only what this call started. */
export async function kindForMonitoring(log: Log): Promise<{ kubeconfig: string; startedHere: boolean; loadImages(archives: string[]): void; stop(): Promise<void> }> {
  const k = loadKindSettings();
  const wasRunning = kindStatus(k).cluster;
  await kindUp(k, log);
  return {
    kubeconfig: kindKubeconfig(k),
    startedHere: !wasRunning,
    loadImages: (archives) => loadImages(k, archives),
    stop: async () => {
      if (!wasRunning) await kindDown(k, log);
    },
  };
}

if (require.main === module) {
  const log = (m: string) => console.error(`[monitoring] ${m}`);
  void (async () => {
    const kind = await kindForMonitoring(log);
    const done = await installMonitoring(kind.kubeconfig, { loadImages: kind.loadImages, log });
    console.log(`Prometheus ${done.artefacts.prometheusVersion} (operator ${done.artefacts.operatorVersion}) is ready in namespace ${MONITORING_NAMESPACE}.`);
    console.log(`It loads ServiceMonitors, PodMonitors and PrometheusRules labelled ${Object.entries(done.selector).map(([key, v]) => `${key}=${v}`).join(',')} in every namespace.`);
    console.log(`kubectl --kubeconfig ${kind.kubeconfig} -n ${MONITORING_NAMESPACE} port-forward svc/prometheus-operated 9090   # Prometheus ${PROMETHEUS_NAME}`);
  })().catch((e: unknown) => {
    console.error(`[monitoring] ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  });
}
