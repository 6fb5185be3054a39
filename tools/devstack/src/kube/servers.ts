import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { ProcessDef } from '../stack/process-def';
import { stackPaths, type StackSettings } from '../stack/settings';
import { checkEtcd, checkKubeApiserver, checkKubeControllerManager } from './health';
import { ensurePki, FRONT_PROXY_CLIENT, pkiFiles, renderKubeconfig, SERVICE_CLUSTER_IP_RANGE, tokenOf, writePrivate } from './pki';
import { provisionEtcd, provisionKubernetes } from './provision';

/** The admin kubeconfig of a stack's API server: `kubectl --kubeconfig <this> get ns`. */
export const kubeconfigPath = (s: StackSettings) => path.join(stackPaths(s).kube, 'kubeconfig');

/** Certificates, keys and tokens of the control plane, made with openssl on first start. */
export const kubePki = (s: StackSettings) => pkiFiles(path.join(stackPaths(s).conf, 'kube'));

/** The API server's URL for clients on this host (the admin kubeconfig, the controller manager). */
const apiserverUrl = (s: StackSettings) => `https://127.0.0.1:${s.USERFORGE_KUBE_APISERVER_PORT}`;

function etcd(s: StackSettings): ProcessDef {
  const p = stackPaths(s);
  const dataDir = path.join(p.data, 'etcd');
  const client = `http://127.0.0.1:${s.USERFORGE_ETCD_PORT}`;
  const peer = `http://127.0.0.1:${s.USERFORGE_ETCD_PEER_PORT}`;
  return {
    name: 'etcd',
    ports: [s.USERFORGE_ETCD_PORT, s.USERFORGE_ETCD_PEER_PORT],
    portVars: ['USERFORGE_ETCD_PORT', 'USERFORGE_ETCD_PEER_PORT'],
    marker: `--data-dir=${dataDir}`,
    startTimeoutMs: 30_000,
    prepare() {
      const bin = provisionEtcd();
      // etcd refuses a data directory that others can read.
      fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
      fs.chmodSync(dataDir, 0o700);
      return {
        cmd: bin,
        args: [
          '--name=userforge',
          `--data-dir=${dataDir}`,
          `--listen-client-urls=${client}`,
          `--advertise-client-urls=${client}`,
          `--listen-peer-urls=${peer}`,
          `--initial-advertise-peer-urls=${peer}`,
          `--initial-cluster=userforge=${peer}`,
          '--initial-cluster-state=new',
          '--logger=zap',
          '--log-level=warn',
          // Keeps a long-lived stack's database from growing without bound.
          '--auto-compaction-mode=periodic',
          '--auto-compaction-retention=1h',
        ],
      };
    },
    health: () => checkEtcd(s.USERFORGE_ETCD_PORT),
  };
}

function kubeApiserver(s: StackSettings): ProcessDef {
  const pki = kubePki(s);
  const port = s.USERFORGE_KUBE_APISERVER_PORT;
  return {
    name: 'kube-apiserver',
    ports: [port],
    portVars: ['USERFORGE_KUBE_APISERVER_PORT'],
    marker: `--token-auth-file=${pki.tokens}`,
    startTimeoutMs: 90_000,
    prepare(log) {
      const kube = provisionKubernetes(s, log);
      ensurePki(pki.dir);
      writePrivate(
        kubeconfigPath(s),
        renderKubeconfig({ server: apiserverUrl(s), caCert: pki.caCert, user: 'admin', token: tokenOf(pki, 'admin') }),
      );
      return {
        cmd: kube.bin('kube-apiserver'),
        args: [
          `--etcd-servers=http://127.0.0.1:${s.USERFORGE_ETCD_PORT}`,
          '--bind-address=127.0.0.1',
          `--secure-port=${port}`,
          // Loopback: this control plane has no node, so no pod needs to reach it.
          '--advertise-address=127.0.0.1',
          `--tls-cert-file=${pki.apiserverCert}`,
          `--tls-private-key-file=${pki.apiserverKey}`,
          `--client-ca-file=${pki.caCert}`,
          `--token-auth-file=${pki.tokens}`,
          // The aggregation layer, as kubeadm sets it up; the controller manager reads this CA too.
          `--requestheader-client-ca-file=${pki.frontProxyCaCert}`,
          `--requestheader-allowed-names=${FRONT_PROXY_CLIENT}`,
          '--requestheader-username-headers=X-Remote-User',
          '--requestheader-group-headers=X-Remote-Group',
          '--requestheader-extra-headers-prefix=X-Remote-Extra-',
          `--proxy-client-cert-file=${pki.frontProxyClientCert}`,
          `--proxy-client-key-file=${pki.frontProxyClientKey}`,
          '--authorization-mode=Node,RBAC',
          `--service-cluster-ip-range=${SERVICE_CLUSTER_IP_RANGE}`,
          '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
          `--service-account-key-file=${pki.serviceAccountPub}`,
          `--service-account-signing-key-file=${pki.serviceAccountKey}`,
          '--kubelet-preferred-address-types=InternalIP',
          '--allow-privileged=true',
          // The Endpoints of the `kubernetes` Service may not hold a loopback address: with
          // --advertise-address=127.0.0.1 the reconciler would fail every 10 s. Only pods need it.
          '--endpoint-reconciler-type=none',
          '--profiling=false',
        ],
      };
    },
    health: () => checkKubeApiserver(port, pki.caCert, tokenOf(pki, 'admin')),
  };
}

function kubeControllerManager(s: StackSettings): ProcessDef {
  const pki = kubePki(s);
  const kubeconfig = path.join(pki.dir, '..', 'kube-controller-manager.kubeconfig');
  const port = s.USERFORGE_KUBE_CONTROLLER_MANAGER_PORT;
  let startedAt: number | undefined;
  return {
    name: 'kube-controller-manager',
    ports: [port],
    portVars: ['USERFORGE_KUBE_CONTROLLER_MANAGER_PORT'],
    marker: `--kubeconfig=${kubeconfig}`,
    startTimeoutMs: 90_000,
    prepare(log) {
      const kube = provisionKubernetes(s, log);
      ensurePki(pki.dir);
      // We start it only when this stack's previous one is not running, and no one else uses this
      // etcd: a lease left behind is stale. Deleting it saves waiting 15 s for it to expire.
      spawnSync(kube.bin('kubectl'), ['--kubeconfig', kubeconfigPath(s), '-n', 'kube-system', 'delete', 'lease', 'kube-controller-manager', '--ignore-not-found'], {
        stdio: 'ignore',
        timeout: 10_000,
      });
      // Lease times have second precision.
      startedAt = Math.floor(Date.now() / 1000) * 1000;
      writePrivate(
        kubeconfig,
        renderKubeconfig({
          server: apiserverUrl(s),
          caCert: pki.caCert,
          user: 'system:kube-controller-manager',
          token: tokenOf(pki, 'controllerManager'),
        }),
      );
      return {
        cmd: kube.bin('kube-controller-manager'),
        args: [
          `--kubeconfig=${kubeconfig}`,
          `--authentication-kubeconfig=${kubeconfig}`,
          `--authorization-kubeconfig=${kubeconfig}`,
          '--bind-address=127.0.0.1',
          `--secure-port=${port}`,
          `--tls-cert-file=${pki.controllerManagerCert}`,
          `--tls-private-key-file=${pki.controllerManagerKey}`,
          `--controllers=${s.USERFORGE_KUBE_CONTROLLERS}`,
          // Each controller acts as its own service account, so RBAC sees which one did what.
          '--use-service-account-credentials=true',
          `--service-account-private-key-file=${pki.serviceAccountKey}`,
          // Published into every namespace as kube-root-ca.crt; pods lack it otherwise.
          `--root-ca-file=${pki.caCert}`,
          `--cluster-signing-cert-file=${pki.caCert}`,
          `--cluster-signing-key-file=${pki.caKey}`,
          `--service-cluster-ip-range=${SERVICE_CLUSTER_IP_RANGE}`,
          '--leader-elect=true',
          '--profiling=false',
        ],
      };
    },
    health: () =>
      checkKubeControllerManager({
        port,
        apiserverPort: s.USERFORGE_KUBE_APISERVER_PORT,
        caCert: pki.caCert,
        token: tokenOf(pki, 'admin'),
        acquiredAfter: startedAt,
      }),
  };
}

/** The `kube` server: etcd, then the API server, then the controller manager. */
export function kubeServerDefs(s: StackSettings): ProcessDef[] {
  return [etcd(s), kubeApiserver(s), kubeControllerManager(s)];
}
