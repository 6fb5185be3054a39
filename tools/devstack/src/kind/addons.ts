/**
 * What a user of kind installs from the internet before `skaffold dev`, made here from local builds:
 * an ingress controller and the Prometheus Operator with a Prometheus it manages. ingress-nginx
 * (the controller kind's guide uses) is nginx with Lua modules and cannot be built here; Traefik,
 * built from its Go module, serves IngressClass `traefik` on the node's mapped port 80 instead.
 * `localClusterValues` is what the chart needs to match them.
 */
import { spawnSync } from 'node:child_process';
import { installedKubernetes } from '../kube/provision';
import { installMonitoring, MONITORING_NAMESPACE, MONITORING_SELECTOR, PROMETHEUS_POD_LABELS } from '../monitoring/install';
import { traefikImage } from './images';
import { INGRESS_CLASS, INGRESS_NAMESPACE, INGRESS_POD_LABELS, traefikManifest } from './ingress';
import type { KindSettings } from './settings';

type Log = (m: string) => void;

/** The node port kind-config.yaml maps to the engine's address. */
const INGRESS_HOST_PORT = 80;

/** Where the host reaches the Ingresses: the node's port 80, published on the engine's veth address. */
export const kindIngressOrigin = (k: KindSettings) => `http://${k.USERFORGE_KIND_ENGINE_ADDRESS}`;

function kubectl(k: KindSettings, kubeconfig: string, args: string[], input?: string): string {
  const kube = installedKubernetes(k.stack);
  if (!kube) throw new Error('kubectl is not built yet (npm run kind:provision)');
  const r = spawnSync(kube.bin('kubectl'), ['--kubeconfig', kubeconfig, ...args], { input, encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${(r.stderr || r.error?.message || '').trim().slice(-1500)}`);
  return r.stdout;
}

/** Traefik on the node labelled ingress-ready, its hostPort 80 mapped by kind to the engine's address. */
export async function installIngress(k: KindSettings, kubeconfig: string, loadImages: (archives: string[]) => void, log: Log): Promise<void> {
  const image = traefikImage(k, log);
  loadImages([image.file]);
  const manifest = traefikManifest({ image: image.ref, hostPort: INGRESS_HOST_PORT, publishedAddress: k.USERFORGE_KIND_ENGINE_ADDRESS, nodeSelector: { 'ingress-ready': 'true' } });
  kubectl(k, kubeconfig, ['apply', '--server-side', '--force-conflicts', '--field-manager=userforge-kind', '-f', '-'], JSON.stringify(manifest));
  log(`waiting for the ingress controller (Traefik, IngressClass ${INGRESS_CLASS})`);
  kubectl(k, kubeconfig, ['rollout', 'status', '-n', INGRESS_NAMESPACE, 'deployment/traefik', '--timeout=300s']);
}

/** Ingress controller and monitoring, each idempotent. */
export async function installAddons(k: KindSettings, kubeconfig: string, loadImages: (archives: string[]) => void, log: Log): Promise<void> {
  await installIngress(k, kubeconfig, loadImages, log);
  await installMonitoring(kubeconfig, { loadImages, log, settings: k.stack });
}

/** The chart values that match this cluster's add-ons (as `a.b.c` keys). */
export function localClusterValues(): Record<string, unknown> {
  return {
    'ingress.className': INGRESS_CLASS,
    'networkPolicy.ingressController': [
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': INGRESS_NAMESPACE } }, podSelector: { matchLabels: INGRESS_POD_LABELS } },
    ],
    'networkPolicy.metricsScrapers.namespaces': [MONITORING_NAMESPACE],
    'networkPolicy.metricsScrapers.podLabels': { ...PROMETHEUS_POD_LABELS },
    'monitoring.serviceMonitors.enabled': true,
    'monitoring.serviceMonitors.labels': { ...MONITORING_SELECTOR },
    'monitoring.prometheusRule.enabled': true,
    'monitoring.prometheusRule.labels': { ...MONITORING_SELECTOR },
  };
}
