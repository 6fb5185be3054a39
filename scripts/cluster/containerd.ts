import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { ProcessDef } from '../stack/servers';
import { IMAGE_REFS } from './images';
import { clusterPaths, type ClusterSettings } from './settings';
import { nodeTools } from './tools';

/**
 * containerd's own configuration: its own root, state and socket, so it never meets a system
 * containerd, and the settings a machine without systemd, on cgroup v1, as a root without CAP_SYS_RESOURCE needs.
 */
export function containerdConfig(c: ClusterSettings, cniBinDir: string): string {
  const p = clusterPaths(c);
  const cri = 'plugins."io.containerd.grpc.v1.cri"';
  return [
    'version = 2',
    `root = "${p.containerdRoot}"`,
    `state = "${p.containerdState}"`,
    '[grpc]',
    `  address = "${p.containerdSocket}"`,
    '[metrics]',
    '  address = ""',
    '[plugins."io.containerd.internal.v1.opt"]',
    `  path = "${path.join(p.data, 'containerd-opt')}"`,
    `[${cri}]`,
    `  sandbox_image = "${IMAGE_REFS.pause}"`,
    // Root here lacks CAP_SYS_RESOURCE: without this every sandbox fails with
    // "can't get final child's PID from pipe: EOF" (runc cannot lower oom_score_adj).
    '  restrict_oom_score_adj = true',
    // Pod network namespaces under our state directory, not the machine's /run/netns.
    '  netns_mounts_under_state_dir = true',
    '  stream_server_address = "127.0.0.1"',
    '  stream_server_port = "0"',
    `[${cri}.containerd]`,
    '  snapshotter = "overlayfs"',
    '  default_runtime_name = "runc"',
    `[${cri}.containerd.runtimes.runc]`,
    '  runtime_type = "io.containerd.runc.v2"',
    `[${cri}.containerd.runtimes.runc.options]`,
    // cgroup v1 is mounted and no systemd manages it: cgroupfs, like the kubelet.
    '  SystemdCgroup = false',
    // runc's state of our containers, not the machine's /run/containerd/runc.
    `  Root = "${path.join(p.containerdState, 'runc')}"`,
    `[${cri}.cni]`,
    `  bin_dir = "${cniBinDir}"`,
    `  conf_dir = "${p.cniConf}"`,
    '  max_conf_num = 1',
    '',
  ].join('\n');
}

/** The pod network: one bridge of our own, addresses from our own IPAM directory, hostPort support. */
export function cniConfig(c: ClusterSettings): string {
  const p = clusterPaths(c);
  return `${JSON.stringify(
    {
      cniVersion: '1.0.0',
      name: 'userforge',
      plugins: [
        {
          type: 'bridge',
          bridge: c.USERFORGE_CLUSTER_BRIDGE,
          isGateway: true,
          // Pods talk to each other, to Services and to the host's servers; nothing leaves the machine.
          ipMasq: false,
          hairpinMode: true,
          ipam: { type: 'host-local', ranges: [[{ subnet: c.USERFORGE_CLUSTER_POD_CIDR }]], routes: [{ dst: '0.0.0.0/0' }], dataDir: p.cniIpam },
        },
        { type: 'portmap', capabilities: { portMappings: true } },
      ],
    },
    null,
    2,
  )}\n`;
}

export function writeNodeConfig(c: ClusterSettings, cniBinDir: string): void {
  const p = clusterPaths(c);
  fs.mkdirSync(p.cniConf, { recursive: true });
  fs.writeFileSync(path.join(p.cniConf, '10-userforge.conflist'), cniConfig(c));
  fs.writeFileSync(path.join(p.conf, 'containerd.toml'), containerdConfig(c, cniBinDir));
}

/** `ctr` against the node's containerd. */
export function ctr(c: ClusterSettings, args: string[], timeoutMs = 10_000): { ok: boolean; out: string } {
  const r = spawnSync('ctr', ['--address', clusterPaths(c).containerdSocket, ...args], { encoding: 'utf8', timeout: timeoutMs });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

export function containerdDef(c: ClusterSettings): ProcessDef {
  const p = clusterPaths(c);
  const conf = path.join(p.conf, 'containerd.toml');
  return {
    name: 'containerd',
    ports: [],
    portVars: [],
    marker: `--config ${conf}`,
    startTimeoutMs: 30_000,
    prepare() {
      const tools = nodeTools(c);
      writeNodeConfig(c, tools.cniBinDir);
      fs.mkdirSync(p.containerdRoot, { recursive: true, mode: 0o711 });
      return { cmd: tools.containerd, args: ['--config', conf, '--log-level', 'warn'] };
    },
    async health() {
      // The CRI plugin is what the kubelet needs; it loads last and may fail alone.
      const r = ctr(c, ['plugins', 'ls']);
      if (!r.ok) throw new Error(`ctr plugins ls: ${r.out.trim().slice(0, 200)}`);
      const cri = r.out.split('\n').find((l) => /\scri\s/.test(l));
      if (!cri || !/\sok\s*$/.test(cri)) throw new Error(`containerd's CRI plugin is not ok: ${cri?.trim() ?? 'missing'}`);
    },
  };
}

