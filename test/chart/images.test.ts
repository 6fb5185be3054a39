/**
 * What the images run, checked without a container engine: the Dockerfile's own bundle command
 * builds the three Node apps, every package a bundle imports is a production dependency, and each
 * bundle — plain `node dist/<app>.js`, no tsx — fails fast on bad configuration, starts against the
 * test servers, answers its probes, and exits 0 on SIGTERM.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { bundle } from '@userforge/devstack';
import fs from 'node:fs';
import { builtinModules } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import yaml from 'js-yaml';
import { APPS as STACK_APPS, freePort, REPO_ROOT } from '@userforge/devstack';
import { testEnv, testKube, testMongoUrl, waitUntil } from '@userforge/testkit';

const DOCKERFILE = fs.readFileSync(path.join(REPO_ROOT, 'Dockerfile'), 'utf8');
const APPS = ['api', 'consumer', 'operator'] as const;
type App = (typeof APPS)[number];

let outDir = '';

interface Metafile {
  outputs: Record<string, { imports: { path: string; kind: string; external?: boolean }[] }>;
}

beforeAll(() => {
  outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'userforge-bundles-'));
  bundle(outDir);
});

afterAll(() => {
  if (outDir) fs.rmSync(outDir, { recursive: true, force: true });
});

describe('the Dockerfile', () => {
  it('installs every workspace from its package.json, and the production dependencies of every Node app workspace', () => {
    const workspaces = (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { workspaces: string[] }).workspaces.flatMap((w) =>
      w.endsWith('/*') ? fs.readdirSync(path.join(REPO_ROOT, w.slice(0, -2))).map((d) => `${w.slice(0, -2)}/${d}`) : [w],
    ).filter((w) => fs.existsSync(path.join(REPO_ROOT, w, 'package.json')));
    for (const w of workspaces) {
      expect([w, DOCKERFILE.includes(`COPY ${w}/package.json ${w}/`)]).toEqual([w, true]);
      // The dashboard is static files; tools/ are the dev platform, in no image.
      if (w !== 'dashboard' && !w.startsWith('tools/')) expect([w, DOCKERFILE.includes(`--workspace ${w} `)]).toEqual([w, true]);
    }
  });

  it('has a target per app, a pinned swappable Node base, a non-root user, MALLOC_ARENA_MAX and exec-form CMDs', () => {
    expect(DOCKERFILE).toMatch(/^ARG NODE_IMAGE=node:\d+\.\d+-[a-z]+-slim$/m);
    for (const app of [...APPS, 'dashboard']) expect(DOCKERFILE).toMatch(new RegExp(`^FROM \\S+ AS ${app}$`, 'm'));
    // The API's V8 flags are the local stack's (NODE_OPTIONS refuses --heap-growing-percent, so the CMD carries them).
    const cmdFlags = (app: App) => (app === 'api' ? STACK_APPS.api.nodeArgs.map((a) => `"${a}", `).join('') : '');
    for (const app of APPS) expect(DOCKERFILE).toContain(`CMD ["node", ${cmdFlags(app)}"dist/${app}.js"]`);
    expect(DOCKERFILE).toMatch(/^USER 10001:10001$/m);
    expect(DOCKERFILE).toContain('MALLOC_ARENA_MAX=2');
    expect(DOCKERFILE).toContain('NODE_ENV=production');
    expect(DOCKERFILE).not.toMatch(/^(CMD|ENTRYPOINT) (?!\[)/m);
  });
});

describe('the app bundles', () => {
  it('import only node built-ins and production dependencies (npm ci --omit=dev installs them)', () => {
    const meta = JSON.parse(fs.readFileSync(path.join(outDir, 'meta.json'), 'utf8')) as Metafile;
    const ls = spawnSync('npm', ['ls', '--omit=dev', '--all', '--json'], { cwd: REPO_ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    const production = new Set<string>();
    const walk = (deps: Record<string, { dependencies?: Record<string, unknown> }> | undefined) => {
      for (const [name, dep] of Object.entries(deps ?? {})) {
        production.add(name);
        walk(dep.dependencies as never);
      }
    };
    walk((JSON.parse(ls.stdout) as { dependencies?: never }).dependencies);
    const packageOf = (p: string) => p.split('/').slice(0, p.startsWith('@') ? 2 : 1).join('/');
    const missing = Object.entries(meta.outputs).flatMap(([out, o]) =>
      // A built-in is one with or without `node:` (code compiled in from a library may say `url`).
      o.imports
        .filter((i) => i.external && !i.path.startsWith('node:') && !builtinModules.includes(i.path) && !production.has(packageOf(i.path)))
        .map((i) => `${path.basename(out)} imports ${packageOf(i.path)}`),
    );
    expect([...new Set(missing)]).toEqual([]);
  });

  it.each([
    ['api', { PORT: 'http' }, 'PORT'],
    ['consumer', { METRICS_PORT: '99999' }, 'METRICS_PORT'],
    ['operator', { RESYNC_SECONDS: '0' }, 'RESYNC_SECONDS'],
  ] as const)('%s fails fast on bad configuration, naming the variable', (app, env, variable) => {
    const r = spawnSync(process.execPath, [path.join(outDir, `${app}.js`)], { env: { ...baseEnv(), ...env }, encoding: 'utf8', timeout: 20_000 });
    expect(r.status).toBe(1);
    expect(r.stdout + r.stderr).toContain(`${variable}:`);
  });

  describe('against the test servers', () => {
    const running: ChildProcess[] = [];
    // The servers only exist under `npm test`; fail with that message rather than a connection error.
    beforeAll(() => void testEnv());
    afterAll(() => {
      for (const p of running) if (p.exitCode === null) p.kill('SIGKILL');
    });

    async function startAndStop(app: App, env: NodeJS.ProcessEnv, port: number): Promise<void> {
      // Started as the image's CMD starts it (the API with its V8 flags): a flag the tests' Node refuses fails here.
      const flags = app === 'api' ? STACK_APPS.api.nodeArgs : [];
      const child = spawn(process.execPath, [...flags, path.join(outDir, `${app}.js`)], { env: { ...baseEnv(), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      running.push(child);
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr.on('data', (d: Buffer) => (output += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      const status = async (p: string) => {
        if (child.exitCode !== null) throw new Error(`${app} exited (${child.exitCode}):\n${output}`);
        return fetch(`http://127.0.0.1:${port}${p}`).then((r) => r.status, () => 0);
      };
      await waitUntil(() => status('/readyz'), (s) => s === 200, 90_000, 300);
      expect(await status('/healthz')).toBe(200);
      expect(await status('/metrics')).toBe(200);
      const stopping = Date.now();
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(Date.now() - stopping).toBeLessThan(30_000);
      expect(output).toContain('"msg":"stopped"');
    }

    it('the API bundle serves, is ready, and stops cleanly on SIGTERM', async () => {
      const port = await freePort();
      await startAndStop('api', { MONGO_URL: testMongoUrl('bundle_api'), PORT: `${port}`, HOST: '127.0.0.1' }, port);
    });

    it('the consumer bundle joins, is ready, and stops cleanly on SIGTERM', async () => {
      const port = await freePort();
      await startAndStop(
        'consumer',
        {
          MONGO_URL: testMongoUrl('bundle_consumer'),
          METRICS_PORT: `${port}`,
          KAFKA_GROUP_ID: `bundle-${process.pid}`,
          KAFKA_EVENTS_GROUP_ID: `bundle-events-${process.pid}`,
          KAFKA_FROM_BEGINNING: 'false',
          CONSUMER_CONCURRENCY: '1',
        },
        port,
      );
    });

    it('the operator bundle (ES-module Kubernetes client included) leads, is ready, and stops cleanly on SIGTERM', async () => {
      const kube = testKube();
      const ns = `bundle-operator-${process.pid}`;
      const kubectl = (args: string[], input?: string) => spawnSync(kube.kubectl, ['--kubeconfig', kube.kubeconfig, ...args], { input, encoding: 'utf8' });
      const crd = kubectl(['apply', '--server-side', '--force-conflicts', '-f', path.join(REPO_ROOT, 'charts', 'userforge', 'crds', 'userforge.io_usergenerationjobs.yaml')]);
      expect(crd.stderr).toBe('');
      const created = kubectl(['apply', '-f', '-'], yaml.dump({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }));
      expect(created.stderr).toBe('');
      try {
        const port = await freePort();
        await startAndStop(
          'operator',
          {
            MONGO_URL: testMongoUrl('bundle_operator'),
            METRICS_PORT: `${port}`,
            KUBECONFIG: kube.kubeconfig,
            WATCH_NAMESPACE: ns,
            LEASE_NAMESPACE: ns,
            CONSUMER_NAMESPACE: ns,
            POD_NAME: `bundle-${process.pid}`,
          },
          port,
        );
      } finally {
        kubectl(['delete', 'namespace', ns, '--wait=false']);
      }
    });
  });
});

/** The environment of a container: no tsx, no jest; the test servers' addresses. */
function baseEnv(): NodeJS.ProcessEnv {
  const { MONGO_URL, REDIS_URL, KAFKA_BROKERS } = process.env;
  return {
    PATH: process.env.PATH,
    NODE_ENV: 'production',
    MALLOC_ARENA_MAX: '2',
    // The bundles live in a temporary directory; their npm packages come from the repository's node_modules.
    NODE_PATH: path.join(REPO_ROOT, 'node_modules'),
    LOG_LEVEL: 'info',
    ...(MONGO_URL && REDIS_URL && KAFKA_BROKERS ? { MONGO_URL, REDIS_URL, KAFKA_BROKERS } : {}),
  };
}
