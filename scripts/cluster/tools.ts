import fs from 'node:fs';
import path from 'node:path';
import { ProvisionError, requireTool } from '../stack/provision';
import type { ClusterSettings } from './settings';

export const APT = (pkg: string) => `Run \`bash scripts/bootstrap.sh\` (installs the Debian package ${pkg}) or install it yourself.`;

/** The host tools a node runs, each with the Debian package that has it. */
export function nodeTools(c: ClusterSettings) {
  const tools = {
    containerd: requireTool('containerd', APT('containerd')),
    ctr: requireTool('ctr', APT('containerd')),
    shim: requireTool('containerd-shim-runc-v2', APT('containerd')),
    runc: requireTool('runc', APT('runc')),
    iptables: requireTool('iptables', APT('iptables')),
    ip: requireTool('ip', APT('iproute2')),
  };
  const missing = ['bridge', 'host-local', 'portmap', 'loopback'].filter((p) => !c.cniBinDir || !fs.existsSync(path.join(c.cniBinDir, p)));
  if (missing.length > 0) {
    throw new ProvisionError(
      `CNI plugins ${missing.join(', ')} not found${c.cniBinDir ? ` in ${c.cniBinDir}` : ''}. ${APT('containernetworking-plugins')} ` +
        'Or point USERFORGE_CNI_BIN_DIR at them.',
    );
  }
  return { ...tools, cniBinDir: c.cniBinDir! };
}

