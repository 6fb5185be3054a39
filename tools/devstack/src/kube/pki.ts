import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ProvisionError } from '../prerequisites';
import { provisionOpenssl } from './provision';

/** The first address of the service range: pods reach the API server at this `kubernetes` Service IP. */
export const KUBERNETES_SERVICE_IP = '10.96.0.1';
export const SERVICE_CLUSTER_IP_RANGE = '10.96.0.0/12';
/** The name the API server's requestheader authentication accepts from the front proxy. */
export const FRONT_PROXY_CLIENT = 'front-proxy-client';

/** The files of a control plane's certificates and credentials, all in one directory. */
export function pkiFiles(dir: string) {
  const f = (name: string) => path.join(dir, name);
  return {
    dir,
    caCert: f('ca.crt'),
    caKey: f('ca.key'),
    apiserverCert: f('apiserver.crt'),
    apiserverKey: f('apiserver.key'),
    controllerManagerCert: f('controller-manager.crt'),
    controllerManagerKey: f('controller-manager.key'),
    // The aggregation layer: the API server proxies to extension API servers as this client, and
    // components that delegate authentication (the controller manager) trust its headers.
    frontProxyCaCert: f('front-proxy-ca.crt'),
    frontProxyCaKey: f('front-proxy-ca.key'),
    frontProxyClientCert: f('front-proxy-client.crt'),
    frontProxyClientKey: f('front-proxy-client.key'),
    serviceAccountKey: f('sa.key'),
    serviceAccountPub: f('sa.pub'),
    tokens: f('tokens.csv'),
  };
}

export type Pki = ReturnType<typeof pkiFiles>;

/** The users of the static token file; the controller manager's name is the one RBAC's bootstrap roles are bound to. */
export const TOKEN_USERS = {
  admin: { user: 'admin', groups: ['system:masters'] },
  controllerManager: { user: 'system:kube-controller-manager', groups: [] as string[] },
} as const;
type TokenUser = keyof typeof TOKEN_USERS;

function openssl(dir: string, args: string[]): void {
  const r = spawnSync(provisionOpenssl(), args, { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new ProvisionError(`openssl ${args[0]} failed: ${r.stderr.trim()}`);
}

/** A self-signed certificate authority `<name>.crt`/`<name>.key`. */
function authority(dir: string, name: string, cn: string): void {
  fs.writeFileSync(
    path.join(dir, `${name}.cnf`),
    [
      '[req]',
      'distinguished_name = dn',
      'x509_extensions = ca',
      'prompt = no',
      '[dn]',
      `CN = ${cn}`,
      '[ca]',
      'basicConstraints = critical, CA:TRUE',
      'keyUsage = critical, keyCertSign, cRLSign, digitalSignature',
      'subjectKeyIdentifier = hash',
      '',
    ].join('\n'),
  );
  openssl(dir, ['req', '-x509', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '3650', '-config', `${name}.cnf`]);
  fs.rmSync(path.join(dir, `${name}.cnf`));
}

/** A key and a certificate signed by the authority `ca`: for a server at `sans`, or for a client. */
function issue(dir: string, name: string, opts: { cn: string; ca: string; server?: string[] }): void {
  const ext = `${name}.ext`;
  fs.writeFileSync(
    path.join(dir, ext),
    [
      'basicConstraints = critical, CA:FALSE',
      'keyUsage = critical, digitalSignature, keyEncipherment',
      `extendedKeyUsage = ${opts.server ? 'serverAuth' : 'clientAuth'}`,
      ...(opts.server ? [`subjectAltName = ${opts.server.join(', ')}`] : []),
      '',
    ].join('\n'),
  );
  openssl(dir, ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-subj', `/CN=${opts.cn}`, '-out', `${name}.csr`]);
  openssl(dir, [
    'x509', '-req', '-in', `${name}.csr`, '-CA', `${opts.ca}.crt`, '-CAkey', `${opts.ca}.key`,
    '-set_serial', `0x${randomBytes(16).toString('hex')}`, '-days', '3650', '-extfile', ext, '-out', `${name}.crt`,
  ]);
  fs.rmSync(path.join(dir, `${name}.csr`));
  fs.rmSync(path.join(dir, ext));
}

function generate(dir: string): void {
  authority(dir, 'ca', 'userforge-kube-ca');
  issue(dir, 'apiserver', {
    cn: 'kube-apiserver',
    ca: 'ca',
    server: [
      'IP:127.0.0.1',
      'DNS:localhost',
      `IP:${KUBERNETES_SERVICE_IP}`,
      'DNS:kubernetes',
      'DNS:kubernetes.default',
      'DNS:kubernetes.default.svc',
      'DNS:kubernetes.default.svc.cluster.local',
    ],
  });
  issue(dir, 'controller-manager', { cn: 'kube-controller-manager', ca: 'ca', server: ['IP:127.0.0.1', 'DNS:localhost'] });
  // A CA of its own: a client certificate of the main CA must never be able to assert request headers.
  authority(dir, 'front-proxy-ca', 'userforge-kube-front-proxy-ca');
  issue(dir, 'front-proxy-client', { cn: FRONT_PROXY_CLIENT, ca: 'front-proxy-ca' });
  // Signs service-account tokens (API server) and verifies them.
  openssl(dir, ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', 'sa.key']);
  openssl(dir, ['pkey', '-in', 'sa.key', '-pubout', '-out', 'sa.pub']);
  const rows = Object.values(TOKEN_USERS).map(
    (u) => `${randomBytes(24).toString('hex')},${u.user},${u.user}${u.groups.length ? `,"${u.groups.join(',')}"` : ''}`,
  );
  fs.writeFileSync(path.join(dir, 'tokens.csv'), `${rows.join('\n')}\n`);
  for (const file of fs.readdirSync(dir)) fs.chmodSync(path.join(dir, file), /\.(key|csv)$/.test(file) ? 0o600 : 0o644);
}

/**
 * Makes the CA, serving certificates, service-account key pair and static tokens on first start,
 * and reuses them afterwards, so kubeconfigs handed out earlier stay valid. Generated in a
 * scratch directory and renamed into place, so an interrupted run never leaves half a set.
 */
export function ensurePki(dir: string): Pki {
  const files = pkiFiles(dir);
  const complete = Object.values(files).every((f) => fs.existsSync(f));
  if (complete) return files;
  fs.rmSync(dir, { recursive: true, force: true });
  const scratch = `${dir}.tmp-${process.pid}`;
  fs.rmSync(scratch, { recursive: true, force: true });
  fs.mkdirSync(scratch, { recursive: true, mode: 0o700 });
  try {
    generate(scratch);
    fs.renameSync(scratch, dir);
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  return files;
}

/** The static token of one of the control plane's users. */
export function tokenOf(pki: Pki, who: TokenUser): string {
  const user = TOKEN_USERS[who].user;
  const row = fs
    .readFileSync(pki.tokens, 'utf8')
    .split('\n')
    .find((l) => l.split(',')[1] === user);
  if (!row) throw new ProvisionError(`no token for ${user} in ${pki.tokens}`);
  return row.split(',')[0]!;
}

/** A kubeconfig with one cluster, one token user and one context. */
export function renderKubeconfig(opts: { server: string; caCert: string; user: string; token: string }): string {
  const ca = fs.readFileSync(opts.caCert).toString('base64');
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '  - name: userforge',
    '    cluster:',
    `      server: ${opts.server}`,
    `      certificate-authority-data: ${ca}`,
    'users:',
    `  - name: ${opts.user}`,
    '    user:',
    `      token: ${opts.token}`,
    'contexts:',
    '  - name: userforge',
    '    context:',
    '      cluster: userforge',
    `      user: ${opts.user}`,
    'current-context: userforge',
    '',
  ].join('\n');
}

export function writePrivate(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text, { mode: 0o600 });
  fs.chmodSync(file, 0o600);
}
