import fs from 'node:fs';
import https from 'node:https';

/** An HTTPS GET that trusts only our CA (and sends a bearer token when given). */
export function httpsGet(url: string, opts: { caCert: string; token?: string; timeoutMs?: number }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get(
      url,
      {
        ca: fs.readFileSync(opts.caCert),
        headers: opts.token ? { authorization: `Bearer ${opts.token}` } : {},
        timeout: opts.timeoutMs ?? 2_000,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${url}: no answer within ${opts.timeoutMs ?? 2_000} ms`)));
    req.on('error', reject);
  });
}

/** etcd's /health answers true only when the member has a raft leader and serves reads. */
export async function checkEtcd(port: number): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(1_500) });
  const health = ((await res.json()) as { health?: string }).health;
  if (health !== 'true') throw new Error(`etcd health is ${health}`);
}

/** The API server's /readyz: etcd reachable, bootstrap RBAC roles and priority classes written. */
export async function checkKubeApiserver(port: number, caCert: string, token: string): Promise<void> {
  const res = await httpsGet(`https://127.0.0.1:${port}/readyz`, { caCert, token });
  if (res.status !== 200 || res.body.trim() !== 'ok') throw new Error(`/readyz answered ${res.status}: ${res.body.slice(0, 300)}`);
}

/**
 * The controller manager answers /healthz, and holds its leader lease: until it does, no
 * controller runs, so a healthy process alone would not mean Deployments get ReplicaSets.
 * `acquiredAfter` (when we started it) keeps a lease the previous process still held from counting.
 */
export async function checkKubeControllerManager(opts: {
  port: number;
  apiserverPort: number;
  caCert: string;
  token: string;
  acquiredAfter?: number;
}): Promise<void> {
  const healthz = await httpsGet(`https://127.0.0.1:${opts.port}/healthz`, { caCert: opts.caCert });
  if (healthz.status !== 200 || healthz.body.trim() !== 'ok') throw new Error(`/healthz answered ${healthz.status}: ${healthz.body.slice(0, 300)}`);
  const lease = await httpsGet(
    `https://127.0.0.1:${opts.apiserverPort}/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-controller-manager`,
    { caCert: opts.caCert, token: opts.token },
  );
  if (lease.status !== 200) throw new Error(`no kube-controller-manager leader lease yet (${lease.status})`);
  const spec = (JSON.parse(lease.body) as { spec?: { holderIdentity?: string; acquireTime?: string; renewTime?: string; leaseDurationSeconds?: number } })
    .spec;
  const renewed = spec?.renewTime ? Date.parse(spec.renewTime) : 0;
  if (!spec?.holderIdentity || Date.now() - renewed > (spec.leaseDurationSeconds ?? 15) * 1000) {
    throw new Error('the kube-controller-manager leader lease is not held');
  }
  const acquired = spec.acquireTime ? Date.parse(spec.acquireTime) : 0;
  if (opts.acquiredAfter !== undefined && acquired < opts.acquiredAfter) {
    throw new Error(`the leader lease is still held by the previous kube-controller-manager (${spec.holderIdentity})`);
  }
}
