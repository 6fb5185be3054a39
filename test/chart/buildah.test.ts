/**
 * The four images as `npm run images:build` makes them (buildah, the same code, cached by the
 * inputs' hash), checked as built and started the way a node starts them (runc, read-only root):
 * a numeric non-root user, no TypeScript tool chain inside, MALLOC_ARENA_MAX, node as PID 1 (so
 * SIGTERM reaches it), the API serving against the test servers, and the dashboard's nginx writing
 * config.js from the environment.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { APPS as STACK_APPS, freePort, buildImages, IMAGE_APPS, type ImagesBuild, inspectImage, type ImageInfo } from '@userforge/devstack';
import { testEnv, testMongoUrl, waitUntil } from '@userforge/testkit';
import { runImage, withImageFiles, type RunningImage } from './oci-run';

const NODE_APPS = ['api', 'consumer', 'operator'] as const;
const DEV_TOOLS = ['tsx', 'typescript', 'esbuild', 'jest', '@swc/core', 'ts-node', 'vite'];

let build: ImagesBuild;
const configs = {} as Record<(typeof IMAGE_APPS)[number], ImageInfo['config']>;
const started: RunningImage[] = [];

beforeAll(() => {
  // A cold build (npm ci inside, four targets) takes minutes on two cores; a warm one only hashes the inputs.
  build = buildImages();
  for (const app of IMAGE_APPS) configs[app] = inspectImage(build.images[app].hashRef).config;
}, 60 * 60_000);

afterAll(() => {
  for (const c of started) c.remove();
});

function start(app: (typeof IMAGE_APPS)[number], options: Parameters<typeof runImage>[1]): RunningImage {
  const c = runImage(build.images[app].hashRef, options);
  started.push(c);
  return c;
}

describe('the built images', () => {
  it('are tagged as the chart names them and exported as OCI archives', () => {
    for (const app of IMAGE_APPS) {
      expect(build.images[app].ref).toMatch(new RegExp(`^userforge/${app}:\\d+\\.\\d+\\.\\d+`));
      // Named as Kubernetes resolves the chart's short reference, for `ctr images import`.
      const index = spawnSync('tar', ['-xOf', build.images[app].archive, 'index.json'], { encoding: 'utf8' });
      const names = (JSON.parse(index.stdout) as { manifests: { annotations?: Record<string, string> }[] }).manifests.map((m) => m.annotations?.['org.opencontainers.image.ref.name']);
      expect(names).toEqual([`docker.io/${build.images[app].ref}`]);
    }
  });

  it.each(IMAGE_APPS)('%s runs as a numeric non-root user', (app) => {
    const user = configs[app].User ?? '';
    expect(user).toMatch(/^\d+(:\d+)?$/);
    expect(Number(user.split(':')[0])).toBeGreaterThan(0);
  });

  it.each(NODE_APPS)('%s runs node itself as PID 1, with MALLOC_ARENA_MAX and NODE_ENV=production', (app) => {
    expect(configs[app].Entrypoint ?? []).toEqual([]);
    // The API with the V8 flags the local stack gives it (NODE_OPTIONS refuses them, so the CMD carries them).
    const flags = app === 'api' ? STACK_APPS.api.nodeArgs : [];
    expect(configs[app].Cmd).toEqual(['node', ...flags, `dist/${app}.js`]);
    expect(configs[app].Env).toEqual(expect.arrayContaining(['MALLOC_ARENA_MAX=2', 'NODE_ENV=production']));
  });

  it.each(NODE_APPS)('%s holds its bundle and production packages only: no TypeScript tool chain, code not writable by the app', (app) => {
    withImageFiles(build.images[app].hashRef, (root) => {
      const modules = path.join(root, 'app', 'node_modules');
      expect(fs.existsSync(path.join(root, 'app', 'dist', `${app}.js`))).toBe(true);
      expect(fs.readdirSync(path.join(root, 'app', 'dist'))).toEqual([`${app}.js`]);
      expect(fs.existsSync(path.join(modules, 'zod'))).toBe(true);
      expect(DEV_TOOLS.filter((p) => fs.existsSync(path.join(modules, p)))).toEqual([]);
      expect(fs.existsSync(path.join(modules, '.bin', 'tsx'))).toBe(false);
      const bundle = fs.statSync(path.join(root, 'app', 'dist', `${app}.js`));
      expect([bundle.uid, bundle.mode & 0o022]).toEqual([0, 0]);
    });
  });
});

describe('the Node images, started by runc from their own configuration', () => {
  it.each([
    ['api', { PORT: 'http' }, 'PORT'],
    ['consumer', { METRICS_PORT: '99999' }, 'METRICS_PORT'],
    ['operator', { RESYNC_SECONDS: '0' }, 'RESYNC_SECONDS'],
  ] as const)('%s loads every module it needs and fails fast on bad configuration', async (app, env, variable) => {
    const c = start(app, { env: { ...env } });
    expect(await c.exited).toBe(1);
    expect(c.output()).toContain(`${variable}:`);
  });

  it('the API image runs as uid 10001, serves against the test servers, and stops on SIGTERM with exit code 0', async () => {
    const { REDIS_URL, KAFKA_BROKERS } = testEnv();
    const port = await freePort();
    const c = start('api', { env: { MONGO_URL: testMongoUrl('image_api'), REDIS_URL, KAFKA_BROKERS, PORT: `${port}`, HOST: '127.0.0.1' } });
    const status = (p: string) => fetch(`http://127.0.0.1:${port}${p}`).then((r) => r.status, () => 0);
    const ready = await waitUntil(async () => (c.ended() ? -1 : status('/readyz')), (s) => s === 200 || s === -1, 90_000, 300);
    expect([ready, ready === 200 ? '' : c.output()]).toEqual([200, '']);
    expect(await status('/healthz')).toBe(200);
    // The container's PID 1 is node itself, as the image's user: the signal below goes straight to it.
    const pid1 = c.pid();
    expect([fs.readFileSync(`/proc/${pid1}/comm`, 'utf8').trim(), fs.statSync(`/proc/${pid1}`).uid]).toEqual(['node', 10001]);
    c.signal('SIGTERM');
    expect(await c.exited).toBe(0);
    expect(c.output()).toContain('"msg":"stopped"');
  });
});

describe('the dashboard image, started by runc in a network namespace of its own', () => {
  const netns = `uf-dash-${process.pid}`;
  beforeAll(() => {
    for (const args of [['netns', 'add', netns], ['-n', netns, 'link', 'set', 'lo', 'up']]) {
      const r = spawnSync('ip', args, { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`ip ${args.join(' ')} failed: ${r.stderr}`);
    }
  });
  afterAll(() => void spawnSync('ip', ['netns', 'delete', netns]));

  const get = (p: string) => {
    const r = spawnSync('ip', ['netns', 'exec', netns, 'curl', '-s', '-i', `http://127.0.0.1:8080${p}`], { encoding: 'utf8', timeout: 10_000 });
    return r.stdout ?? '';
  };

  it('writes config.js from USERFORGE_API_URL at start, serves the app as uid 101, and stops on its stop signal', async () => {
    const c = start('dashboard', { netns, env: { USERFORGE_API_URL: 'https://api.userforge.test' } });
    const config = await waitUntil(async () => (c.ended() ? `exited:\n${c.output()}` : get('/config.js')), (r) => r.includes('200 OK') || r.startsWith('exited'), 30_000, 300);
    expect(config).toContain('apiUrl: "https://api.userforge.test"');
    expect(config.toLowerCase()).toContain('cache-control: no-store');
    const index = get('/users?page=2');
    expect(index).toContain('200 OK');
    expect(index).toContain('<script');
    // nginx's master and workers: every process of the container, none of them root.
    const pids = spawnSync('ip', ['netns', 'pids', netns], { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean);
    expect(pids.length).toBeGreaterThan(1);
    expect([...new Set(pids.map((p) => fs.statSync(`/proc/${p}`).uid))]).toEqual([101]);
    c.signal(c.stopSignal);
    expect(await c.exited).toBe(0);
  });

  it('with USERFORGE_API_UPSTREAM, its nginx passes /v1 and the event stream on to the API, under the read-only root', async () => {
    // The API's stand-in, in the same network namespace: JSON for /v1/users, and an event stream
    // that writes one event, another 300 ms later, and ends after 2 s.
    const apiPort = await freePort();
    const server = `require('node:http').createServer((req, res) => {
      if (req.url === '/v1/events') {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('data: 1\\n\\n');
        setTimeout(() => res.write('data: 2\\n\\n'), 300);
        setTimeout(() => res.end('data: 3\\n\\n'), 2000);
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ from: 'api', url: req.url }));
    }).listen(${apiPort}, '127.0.0.1');`;
    const upstream = spawn('ip', ['netns', 'exec', netns, process.execPath, '-e', server], { stdio: 'ignore' });
    try {
      const c = start('dashboard', { netns, env: { USERFORGE_API_UPSTREAM: `http://127.0.0.1:${apiPort}` } });
      const users = await waitUntil(async () => (c.ended() ? `exited:\n${c.output()}` : get('/v1/users?limit=1')), (r) => r.includes('"from":"api"') || r.startsWith('exited'), 30_000, 300);
      expect(users).toContain('{"from":"api","url":"/v1/users?limit=1"}');
      expect(get('/config.js')).toContain('apiUrl: "" || window.location.origin');
      // curl -N prints each event as it arrives; its timestamps show the second one came before the end.
      const events = spawnSync('ip', ['netns', 'exec', netns, 'sh', '-c', `curl -sN http://127.0.0.1:8080/v1/events | while IFS= read -r line; do [ -n "$line" ] && echo "$(date +%s%N) $line"; done`], { encoding: 'utf8', timeout: 15_000 });
      const arrivals = events.stdout.trim().split('\n').map((l) => l.split(' ')).map(([ns, ...data]) => [data.join(' '), Number(BigInt(ns!) / 1_000_000n)] as const);
      expect(arrivals.map(([data]) => data)).toEqual(['data: 1', 'data: 2', 'data: 3']);
      expect(arrivals[2]![1] - arrivals[1]![1]).toBeGreaterThan(1_000);
      c.signal(c.stopSignal);
      expect(await c.exited).toBe(0);
    } finally {
      upstream.kill('SIGKILL');
    }
  });
});
