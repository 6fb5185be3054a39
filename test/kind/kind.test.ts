/**
 * kind on this machine (npm run kind:up): a real cluster on the project's own Docker engine, from the
 * node image built here. Proves a Ready node, Service DNS through CoreDNS, a PVC bound through
 * local-path, NetworkPolicy enforcement (kube-network-policies: one pod denied, another allowed),
 * and that kind:down leaves the host as it found it. Root only (the engine needs it); skipped with
 * the reason otherwise. A cluster that was running before the test is used and left running.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { installedKubernetes } from '@userforge/devstack';
import { dockerEnv, enginePid } from '@userforge/devstack';
import { IMAGE_REFS, imagesDir } from '@userforge/devstack';
import { installedKindTools } from '@userforge/devstack';
import { kindDown, kindKubeconfig, kindStatus, kindUp, loadImages, loadKindSettings } from '@userforge/devstack';
import os from 'node:os';
import path from 'node:path';

jest.setTimeout(3_600_000);

const NS = 'kind-test';
const log = (m: string) => process.stderr.write(`[kind-test] ${m}\n`);
const skip = process.getuid?.() !== 0 ? 'kind runs on a Docker engine of its own, which needs root' : undefined;
const suite = skip ? describe.skip : describe;
const k = loadKindSettings();

/** What kind:down must leave as it was: each a set of lines. */
interface HostSnapshot {
  interfaces: Set<string>;
  mounts: Set<string>;
  iptables: Set<string>;
  netns: Set<string>;
  engineProcesses: Set<string>;
  sysctls: Set<string>;
}

const lines = (text: string) => new Set(text.split('\n').map((l) => l.trim()).filter(Boolean));

/** Network namespaces held by processes; with `containers`, only those of the engine and of processes in those containers' cgroups. */
function netnsInodes(containers?: string[]): Set<string> {
  const out = new Set<string>();
  const engine = enginePid(k);
  for (const pid of fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      if (containers) {
        const cgroup = fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8');
        if (Number(pid) !== engine && !containers.some((id) => cgroup.includes(id))) continue;
      }
      out.add(fs.readlinkSync(`/proc/${pid}/ns/net`));
    } catch {
      /* gone */
    }
  }
  return out;
}

/** The ids of this engine's containers (kind's nodes), whose processes carry them in their cgroup paths. */
function engineContainers(): string[] {
  const tools = installedKindTools(k);
  if (!tools) return [];
  const r = spawnSync(tools.docker, ['ps', '-q', '--no-trunc'], { encoding: 'utf8', env: { ...process.env, ...dockerEnv(k) } });
  return (r.stdout ?? '').split('\n').filter(Boolean);
}

function engineProcesses(): Set<string> {
  const out = new Set<string>();
  for (const pid of fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      // The engine, its containerd and shims name the kind directory; the nodes' processes live in namespaces checked apart.
      if (cmd.includes(k.dir)) out.add(`${pid} ${cmd.trim()}`);
    } catch {
      /* gone */
    }
  }
  return out;
}

const GLOBAL_SYSCTLS = ['fs/file-max', 'fs/nr_open', 'kernel/panic', 'kernel/panic_on_oops', 'kernel/pid_max', 'vm/overcommit_memory', 'vm/panic_on_oom', 'net/ipv4/ip_forward'];

function snapshot(): HostSnapshot {
  const tables = ['iptables-save', 'ip6tables-save'].map((t) => spawnSync(t, [], { encoding: 'utf8' }).stdout ?? '').join('\n');
  return {
    interfaces: lines(execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).replace(/^\d+: /gm, '').replace(/ link\/.*$/gm, '').replace(/<[^>]*>.*$/gm, '')),
    mounts: new Set(fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter(Boolean).map((l) => { const f = l.split(' '); return `${f[4]} ${l.split(' - ')[1] ?? ''}`; })),
    // Rules and chains, without packet counters.
    iptables: new Set([...lines(tables)].filter((l) => !l.startsWith('#')).map((l) => l.replace(/\[\d+:\d+\]/g, ''))),
    netns: netnsInodes(),
    engineProcesses: engineProcesses(),
    sysctls: new Set(GLOBAL_SYSCTLS.map((s) => `${s}=${fs.readFileSync(`/proc/sys/${s}`, 'utf8').trim()}`)),
  };
}

const minus = (a: Set<string>, b: Set<string>) => [...a].filter((x) => !b.has(x));

function kubectl(args: string[], input?: string): string {
  const kube = installedKubernetes(k.stack);
  if (!kube) throw new Error('kubectl is not built');
  const r = spawnSync(kube.bin('kubectl'), ['--kubeconfig', kindKubeconfig(k), '--request-timeout=30s', ...args], { encoding: 'utf8', input, timeout: 120_000 });
  if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr || r.stdout}`);
  return r.stdout;
}

const apply = (objects: object[]) => kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }));

async function until<T>(what: string, read: () => T, done: (v: T) => boolean, timeoutMs = 300_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = 'nothing yet';
  for (;;) {
    try {
      const v = read();
      last = v;
      if (done(v)) return v;
    } catch (e) {
      last = String(e);
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s; last: ${JSON.stringify(last).slice(0, 1500)}`);
    await new Promise((r) => setTimeout(r, 2_000));
  }
}

const phase = (pod: string) => kubectl(['get', 'pod', pod, '-n', NS, '-o', 'jsonpath={.status.phase}']).trim();

/** A one-shot busybox pod; resolves to its final phase (Succeeded or Failed) and its log. */
async function runPod(name: string, labels: Record<string, string>, script: string, volumes: { pvc?: string } = {}): Promise<{ phase: string; log: string }> {
  apply([
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: NS, labels },
      spec: {
        restartPolicy: 'Never',
        containers: [
          {
            name: 'main',
            image: IMAGE_REFS.busybox,
            imagePullPolicy: 'IfNotPresent',
            command: ['sh', '-c', script],
            ...(volumes.pvc ? { volumeMounts: [{ name: 'data', mountPath: '/data' }] } : {}),
          },
        ],
        ...(volumes.pvc ? { volumes: [{ name: 'data', persistentVolumeClaim: { claimName: volumes.pvc } }] } : {}),
      },
    },
  ]);
  const final = await until(`pod ${name} finishes`, () => phase(name), (p) => p === 'Succeeded' || p === 'Failed');
  return { phase: final, log: kubectl(['logs', name, '-n', NS]) };
}

/** An HTTP server (busybox httpd) behind the Service `web`. */
const webObjects = () => [
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } },
  {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: NS, labels: { app: 'web' } },
    spec: {
      containers: [
        {
          name: 'httpd',
          image: IMAGE_REFS.busybox,
          imagePullPolicy: 'IfNotPresent',
          command: ['sh', '-c', 'mkdir -p /www && echo hello-from-web > /www/index.html && exec httpd -f -p 8080 -h /www'],
          ports: [{ containerPort: 8080 }],
          readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 2 },
        },
      ],
    },
  },
  { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: NS }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] } },
];

/**
 * An HTTP request to the Service's address with busybox nc (its static wget crashes here); the name
 * is resolved by the DNS test. Exits non-zero unless the page came back.
 */
const fetchWeb = (ip: string) => `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 5 ${ip} 80 | grep hello-from-web`;

suite(`kind on this machine${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let before: HostSnapshot;
  let during: HostSnapshot;
  let wasRunning = false;

  beforeAll(async () => {
    wasRunning = kindStatus(k).cluster;
    if (!wasRunning) before = snapshot();
    const started = Date.now();
    await kindUp(k, log);
    log(`kind up in ${Math.round((Date.now() - started) / 1000)} s${wasRunning ? ' (it was running)' : ''}`);
    // Only what this engine made: other clusters on the machine may come and go meanwhile.
    during = { ...snapshot(), netns: netnsInodes(engineContainers()) };
    kubectl(['delete', 'namespace', NS, '--ignore-not-found', '--wait=true']);
    apply(webObjects());
  });

  afterAll(() => {
    // A cluster left running (it was running before) keeps nothing of this test.
    if (!skip && kindStatus(k).cluster) kubectl(['delete', 'namespace', NS, '--ignore-not-found', '--wait=false']);
  });

  it('has a Ready node and every kube-system pod running', () => {
    const s = kindStatus(k);
    expect(s.problems).toEqual([]);
    expect(s.lines.some((l) => /^node .*: Ready$/.test(l))).toBe(true);
    expect(fs.existsSync(s.kubeconfig)).toBe(true);
  });

  it('resolves a Service through CoreDNS', async () => {
    const ip = kubectl(['get', 'service', 'web', '-n', NS, '-o', 'jsonpath={.spec.clusterIP}']).trim();
    const r = await runPod('dns', {}, 'nslookup web.kind-test.svc.cluster.local');
    expect(r.phase).toBe('Succeeded');
    expect(r.log).toContain(ip);
  });

  it('binds a PVC through local-path (the default StorageClass standard)', async () => {
    apply([{ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data', namespace: NS }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '16Mi' } } } }]);
    const r = await runPod('writer', {}, 'echo kept > /data/file && cat /data/file', { pvc: 'data' });
    expect(r).toEqual({ phase: 'Succeeded', log: 'kept\n' });
    const pvc = JSON.parse(kubectl(['get', 'pvc', 'data', '-n', NS, '-o', 'json'])) as { spec: { storageClassName: string }; status: { phase: string } };
    expect(pvc.status.phase).toBe('Bound');
    expect(pvc.spec.storageClassName).toBe('standard');
  });

  it('enforces a NetworkPolicy: a pod without the label is denied, one with it is allowed', async () => {
    await until('web is ready', () => kubectl(['get', 'pod', 'web', '-n', NS, '-o', 'jsonpath={.status.containerStatuses[0].ready}']), (v) => v === 'true');
    const FETCH = fetchWeb(kubectl(['get', 'service', 'web', '-n', NS, '-o', 'jsonpath={.spec.clusterIP}']).trim());
    // Without a policy, anyone reaches the server: what the policy changes is then its doing.
    expect((await runPod('open', {}, FETCH)).log).toContain('hello-from-web');
    apply([
      {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: 'web-allow-labelled', namespace: NS },
        spec: { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Ingress'], ingress: [{ from: [{ podSelector: { matchLabels: { access: 'allowed' } } }] }] },
      },
    ]);
    const denied = await runPod('denied', {}, FETCH);
    const allowed = await runPod('allowed', { access: 'allowed' }, FETCH);
    expect(denied.phase).toBe('Failed');
    expect(allowed).toEqual({ phase: 'Succeeded', log: 'hello-from-web\n' });
  });

  it('loads an image archive into the node (kind load image-archive) and runs it', async () => {
    // busybox under a name the node has never seen, saved by the engine as a docker-archive.
    const tools = installedKindTools(k)!;
    const env = { ...process.env, ...dockerEnv(k) };
    const ref = `localhost/userforge/kind-test-load:${Date.now()}`;
    const archive = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kind-load-')), 'image.tar');
    try {
      for (const args of [['load', '-i', path.join(imagesDir(k), 'busybox-v1.tar')], ['tag', IMAGE_REFS.busybox, ref], ['save', '-o', archive, ref], ['image', 'rm', ref]]) {
        const r = spawnSync(tools.docker, args, { env, encoding: 'utf8' });
        expect({ args, status: r.status, err: r.status === 0 ? '' : r.stderr }).toEqual({ args, status: 0, err: '' });
      }
      loadImages(k, [archive]);
    } finally {
      fs.rmSync(path.dirname(archive), { recursive: true, force: true });
    }
    apply([{ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'loaded', namespace: NS }, spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: ref, imagePullPolicy: 'Never', command: ['sh', '-c', 'echo loaded'] }] } }]);
    expect(await until('pod loaded finishes', () => phase('loaded'), (p) => p === 'Succeeded' || p === 'Failed')).toBe('Succeeded');
  });

  it('kind:down leaves no interface, mount, iptables rule, network namespace or engine process behind', async () => {
    if (wasRunning) {
      log('a cluster was running before this test: it is left running, and the tear-down is not checked');
      return;
    }
    await kindDown(k, log);
    const after = snapshot();
    // Everything that appeared while kind ran is gone; nothing else of the host changed because of it.
    const leftovers = (key: keyof HostSnapshot) => minus(during[key], before[key]).filter((x) => after[key].has(x));
    expect({
      interfaces: leftovers('interfaces'),
      mounts: leftovers('mounts'),
      iptables: leftovers('iptables'),
      netns: [...during.netns].filter((x) => after.netns.has(x)),
      engineProcesses: [...after.engineProcesses],
    }).toEqual({ interfaces: [], mounts: [], iptables: [], netns: [], engineProcesses: [] });
    expect(minus(after.interfaces, before.interfaces)).toEqual([]);
    expect(minus(after.iptables, before.iptables)).toEqual([]);
    expect([...after.sysctls]).toEqual([...before.sysctls]);
    expect(enginePid(k)).toBeUndefined();
    expect(kindStatus(k).engine).toBe(false);
  });
});
