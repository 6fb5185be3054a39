import fs from 'node:fs';
import path from 'node:path';
import { checkHttp } from '../stack/health';
import { httpsGet } from '../stack/kube/health';
import { certFiles, renderKubeconfig, tokenOfUser, writePrivate } from '../stack/kube/pki';
import { provisionKubernetes } from '../stack/kube/provision';
import { apiserverUrl, componentServingArgs, kubePki, kubeServerDefs, type KubeNode } from '../stack/kube/servers';
import type { ProcessDef } from '../stack/servers';
import { containerdDef } from './containerd';
import { CLUSTER_DNS_IP, CLUSTER_DOMAIN, clusterPaths, controlPlaneSettings, type ClusterSettings } from './settings';

const users = (c: ClusterSettings) => ({
  kubelet: { user: `system:node:${c.USERFORGE_CLUSTER_NODE_NAME}`, groups: ['system:nodes'] },
  // The names RBAC's bootstrap bindings (system:kube-scheduler, system:node-proxier) are made for.
  scheduler: { user: 'system:kube-scheduler', groups: [] as string[] },
  kubeProxy: { user: 'system:kube-proxy', groups: [] as string[] },
});

/** The control plane serving this node: its address, and the node components' tokens and the scheduler's certificate. */
export function kubeNode(c: ClusterSettings): KubeNode {
  return {
    address: c.USERFORGE_CLUSTER_ADDRESS,
    pki: {
      users: Object.values(users(c)),
      certs: [{ name: 'scheduler', cn: 'kube-scheduler', server: ['IP:127.0.0.1', 'DNS:localhost'] }],
    },
  };
}

/** Writes the kubeconfig `file` for one of the node's users. */
function componentKubeconfig(c: ClusterSettings, file: string, who: keyof ReturnType<typeof users>): void {
  const cs = controlPlaneSettings(c);
  const pki = kubePki(cs);
  const user = users(c)[who].user;
  writePrivate(file, renderKubeconfig({ server: apiserverUrl(cs, kubeNode(c)), caCert: pki.caCert, user, token: tokenOfUser(pki, user) }));
}

function scheduler(c: ClusterSettings): ProcessDef {
  const cs = controlPlaneSettings(c);
  const p = clusterPaths(c);
  const kubeconfig = path.join(p.conf, 'kube-scheduler.kubeconfig');
  const port = c.USERFORGE_CLUSTER_SCHEDULER_PORT;
  const pki = kubePki(cs);
  const cert = certFiles(pki.dir, 'scheduler');
  return {
    name: 'kube-scheduler',
    ports: [port],
    portVars: ['USERFORGE_CLUSTER_SCHEDULER_PORT'],
    marker: `--kubeconfig=${kubeconfig}`,
    startTimeoutMs: 60_000,
    prepare(log) {
      componentKubeconfig(c, kubeconfig, 'scheduler');
      return {
        cmd: provisionKubernetes(c.stack, log).bin('kube-scheduler'),
        args: [
          ...componentServingArgs(kubeconfig, port, cert),
          // One scheduler: no lease to wait for.
          '--leader-elect=false',
          '--profiling=false',
        ],
      };
    },
    async health() {
      const r = await httpsGet(`https://127.0.0.1:${port}/readyz`, { caCert: pki.caCert });
      if (r.status !== 200) throw new Error(`/readyz answered ${r.status}: ${r.body.slice(0, 200)}`);
    },
  };
}

function kubeletConfig(c: ClusterSettings): object {
  const p = clusterPaths(c);
  return {
    kind: 'KubeletConfiguration',
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    address: c.USERFORGE_CLUSTER_ADDRESS,
    port: c.USERFORGE_CLUSTER_KUBELET_PORT,
    readOnlyPort: 0,
    healthzBindAddress: '127.0.0.1',
    healthzPort: c.USERFORGE_CLUSTER_KUBELET_HEALTHZ_PORT,
    authentication: { anonymous: { enabled: false }, webhook: { enabled: true }, x509: { clientCAFile: kubePki(controlPlaneSettings(c)).caCert } },
    authorization: { mode: 'Webhook' },
    containerRuntimeEndpoint: `unix://${p.containerdSocket}`,
    cgroupDriver: 'cgroupfs',
    failSwapOn: false,
    clusterDNS: [CLUSTER_DNS_IP],
    clusterDomain: CLUSTER_DOMAIN,
    // Pods inherit no resolver of the machine: cluster DNS only, nothing is asked outside.
    resolvConf: '',
    podLogsDir: p.podLogs,
    // A development node on a shared disk: evict only when really short, never delete our
    // locally built images (they cannot be pulled back).
    evictionHard: { 'memory.available': '100Mi', 'nodefs.available': '1%', 'nodefs.inodesFree': '1%', 'imagefs.available': '1%' },
    imageGCHighThresholdPercent: 100,
    imageGCLowThresholdPercent: 99,
  };
}

function kubelet(c: ClusterSettings): ProcessDef {
  const p = clusterPaths(c);
  const conf = path.join(p.conf, 'kubelet.yaml');
  const kubeconfig = path.join(p.conf, 'kubelet.kubeconfig');
  const healthz = c.USERFORGE_CLUSTER_KUBELET_HEALTHZ_PORT;
  return {
    name: 'kubelet',
    ports: [healthz, c.USERFORGE_CLUSTER_KUBELET_PORT],
    portVars: ['USERFORGE_CLUSTER_KUBELET_HEALTHZ_PORT', 'USERFORGE_CLUSTER_KUBELET_PORT'],
    marker: `--config=${conf}`,
    startTimeoutMs: 60_000,
    prepare(log) {
      componentKubeconfig(c, kubeconfig, 'kubelet');
      // JSON is YAML: the kubelet reads either.
      fs.writeFileSync(conf, `${JSON.stringify(kubeletConfig(c), null, 2)}\n`);
      fs.mkdirSync(p.kubeletRoot, { recursive: true });
      return {
        cmd: provisionKubernetes(c.stack, log).bin('kubelet'),
        args: [
          `--config=${conf}`,
          `--kubeconfig=${kubeconfig}`,
          `--root-dir=${p.kubeletRoot}`,
          // Not under --root-dir by default: its own serving certificate.
          `--cert-dir=${path.join(p.kubeletRoot, 'pki')}`,
          `--hostname-override=${c.USERFORGE_CLUSTER_NODE_NAME}`,
          `--node-ip=${c.USERFORGE_CLUSTER_ADDRESS}`,
          '--v=1',
        ],
      };
    },
    health: () => checkHttp(`http://127.0.0.1:${healthz}/healthz`),
  };
}

function kubeProxy(c: ClusterSettings): ProcessDef {
  const p = clusterPaths(c);
  const conf = path.join(p.conf, 'kube-proxy.yaml');
  const kubeconfig = path.join(p.conf, 'kube-proxy.kubeconfig');
  const healthz = c.USERFORGE_CLUSTER_KUBE_PROXY_HEALTHZ_PORT;
  const metrics = c.USERFORGE_CLUSTER_KUBE_PROXY_METRICS_PORT;
  return {
    name: 'kube-proxy',
    ports: [healthz, metrics],
    portVars: ['USERFORGE_CLUSTER_KUBE_PROXY_HEALTHZ_PORT', 'USERFORGE_CLUSTER_KUBE_PROXY_METRICS_PORT'],
    marker: `--config=${conf}`,
    startTimeoutMs: 60_000,
    prepare(log) {
      componentKubeconfig(c, kubeconfig, 'kubeProxy');
      const config = {
        kind: 'KubeProxyConfiguration',
        apiVersion: 'kubeproxy.config.k8s.io/v1alpha1',
        clientConnection: { kubeconfig },
        mode: 'iptables',
        clusterCIDR: c.USERFORGE_CLUSTER_POD_CIDR,
        hostnameOverride: c.USERFORGE_CLUSTER_NODE_NAME,
        healthzBindAddress: `127.0.0.1:${healthz}`,
        metricsBindAddress: `127.0.0.1:${metrics}`,
        // NodePorts only on the node's own address; no route_localnet for 127.0.0.1 NodePorts.
        nodePortAddresses: [`${c.USERFORGE_CLUSTER_ADDRESS}/32`],
        iptables: { localhostNodePorts: false },
        // Leave the machine's conntrack table size and timeouts alone.
        conntrack: { maxPerCore: 0, min: 0, tcpEstablishedTimeout: '0s', tcpCloseWaitTimeout: '0s' },
      };
      fs.writeFileSync(conf, `${JSON.stringify(config, null, 2)}\n`);
      return { cmd: provisionKubernetes(c.stack, log).bin('kube-proxy'), args: [`--config=${conf}`] };
    },
    // 200 once its first sync of Services into iptables is done.
    health: () => checkHttp(`http://127.0.0.1:${healthz}/healthz`),
  };
}

/** The settings that move the control plane's ports, by the stack's names for them (for "port taken" messages). */
const PORT_VARS: Record<string, string> = {
  USERFORGE_ETCD_PORT: 'USERFORGE_CLUSTER_ETCD_PORT',
  USERFORGE_ETCD_PEER_PORT: 'USERFORGE_CLUSTER_ETCD_PEER_PORT',
  USERFORGE_KUBE_APISERVER_PORT: 'USERFORGE_CLUSTER_APISERVER_PORT',
  USERFORGE_KUBE_CONTROLLER_MANAGER_PORT: 'USERFORGE_CLUSTER_CONTROLLER_MANAGER_PORT',
};

/** The processes of the cluster, in start order: the control plane, then the node. */
export function clusterDefs(c: ClusterSettings) {
  const stackServers = kubeServerDefs(controlPlaneSettings(c), kubeNode(c)).map((d) => ({ ...d, portVars: d.portVars.map((v) => PORT_VARS[v] ?? v) }));
  const controlPlane = [...stackServers, scheduler(c)];
  return { controlPlane, containerd: containerdDef(c), node: [kubelet(c), kubeProxy(c)] };
}
