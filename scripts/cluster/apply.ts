import { spawnSync } from 'node:child_process';
import { ProvisionError } from '../stack/provision';

/** `kubectl apply` of objects the cluster itself runs (CoreDNS, the ingress controller), given as one `List`. */
export function applyList(kubectl: string, kubeconfig: string, what: string, list: object): void {
  const r = spawnSync(kubectl, ['--kubeconfig', kubeconfig, 'apply', '-f', '-'], {
    input: JSON.stringify(list),
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (r.status !== 0) throw new ProvisionError(`kubectl apply of ${what} failed: ${r.stderr.trim()}`);
}
