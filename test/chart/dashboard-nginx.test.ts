/**
 * The dashboard image's nginx configuration (dashboard/nginx/), run by a real nginx — Debian's,
 * the same binary the locally built base image carries — with the entrypoint script's output and a
 * real upstream HTTP server on loopback: the API's paths are proxied, Server-Sent Events stream
 * unbuffered, the static files are still served, and a bad upstream stops the container's start.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { freePort, REPO_ROOT } from '@userforge/devstack';
import { waitUntil } from '@userforge/testkit';

const NGINX_DIR = path.join(REPO_ROOT, 'dashboard', 'nginx');
const SCRIPT = path.join(NGINX_DIR, '40-userforge-config.sh');
/** When the upstream writes its second event (the first goes with the headers), and when it ends the stream. */
const SECOND_EVENT_MS = 300;
const STREAM_END_MS = 2_000;

function nginxBinary(): string {
  const bin = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((b) => fs.existsSync(b));
  if (!bin) throw new Error('nginx is not installed: scripts/bootstrap.sh installs it (Debian: nginx-light); run it, then this test again.');
  return bin;
}

/** Runs the image's entrypoint script as the container would, into `dir` instead of /tmp/userforge. */
const runScript = (dir: string, env: Record<string, string>) =>
  spawnSync('sh', [SCRIPT], { env: { PATH: process.env.PATH, USERFORGE_RUNTIME_DIR: dir, ...env }, encoding: 'utf8' });

let work = '';
let upstream: http.Server;
let upstreamPort = 0;
let port = 0;
let nginx: ChildProcess | undefined;
let nginxOutput = '';
const seen: { url: string; headers: http.IncomingHttpHeaders }[] = [];

beforeAll(async () => {
  const bin = nginxBinary();
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'userforge-nginx-'));
  // Readable by nginx's workers, which drop to an unprivileged user when the test runs as root.
  fs.chmodSync(work, 0o755);

  // The API: JSON for /v1/users, /healthz and /openapi.json; an event stream that sends an event
  // with its headers, another a little later, and a last one when it ends. No X-Accel-Buffering
  // header: nginx's own settings must pass the events on.
  upstream = http.createServer((req, res) => {
    seen.push({ url: req.url ?? '', headers: req.headers });
    if (req.url?.startsWith('/v1/events')) {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write('event: job\ndata: {"n":1}\n\n');
      setTimeout(() => res.write('event: job\ndata: {"n":2}\n\n'), SECOND_EVENT_MS);
      setTimeout(() => res.end('event: job\ndata: {"n":3}\n\n'), STREAM_END_MS);
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ from: 'api', url: req.url }));
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  upstreamPort = (upstream.address() as AddressInfo).port;

  const runtime = path.join(work, 'runtime');
  const r = runScript(runtime, { USERFORGE_API_UPSTREAM: `http://127.0.0.1:${upstreamPort}` });
  expect({ code: r.status, err: r.stderr }).toEqual({ code: 0, err: '' });

  // The image's server block with this test's port, files and runtime directory in place of the image's.
  const html = path.join(work, 'html');
  fs.mkdirSync(path.join(html, 'assets'), { recursive: true });
  fs.writeFileSync(path.join(html, 'index.html'), '<!doctype html><title>userforge</title>');
  fs.copyFileSync(path.join(runtime, 'config.js'), path.join(html, 'config.js'));
  port = await freePort();
  let server = fs.readFileSync(path.join(NGINX_DIR, 'default.conf'), 'utf8');
  for (const [from, to] of [
    ['listen 8080;', `listen 127.0.0.1:${port};`],
    ['root /usr/share/nginx/html;', `root ${html};`],
    ['include /tmp/userforge/api-proxy.conf;', `include ${runtime}/api-proxy.conf;`],
  ] as const) {
    expect([from, server.includes(from)]).toEqual([from, true]);
    server = server.replace(from, to);
  }
  // nginx.conf as the nginx-unprivileged base has it (tools/devstack/src/images/base.ts), everything under `work`.
  const t = (name: string) => path.join(work, name);
  fs.writeFileSync(
    t('nginx.conf'),
    `daemon off;
worker_processes 1;
error_log stderr notice;
pid ${t('nginx.pid')};
events { worker_connections 64; }
http {
  client_body_temp_path ${t('client_temp')};
  proxy_temp_path ${t('proxy_temp')};
  fastcgi_temp_path ${t('fastcgi_temp')};
  uwsgi_temp_path ${t('uwsgi_temp')};
  scgi_temp_path ${t('scgi_temp')};
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  access_log off;
  ${server}
}
`,
  );
  const check = spawnSync(bin, ['-t', '-p', work, '-c', t('nginx.conf')], { encoding: 'utf8' });
  expect({ code: check.status, out: check.stderr }).toEqual({ code: 0, out: expect.stringContaining('test is successful') });
  nginx = spawn(bin, ['-p', work, '-c', t('nginx.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
  nginx.stderr?.on('data', (d: Buffer) => (nginxOutput += d.toString()));
  await waitUntil(
    () => fetch(`http://127.0.0.1:${port}/config.js`).then((r) => r.status, () => 0),
    (s) => s === 200 || nginx?.exitCode !== null,
    15_000,
    100,
  );
  if (nginx.exitCode !== null) throw new Error(`nginx exited (${nginx.exitCode}):\n${nginxOutput}`);
});

afterAll(async () => {
  if (nginx && nginx.exitCode === null) nginx.kill('SIGQUIT');
  upstream?.closeAllConnections();
  await new Promise((resolve) => upstream?.close(resolve));
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

const get = (p: string, init?: RequestInit) => fetch(`http://127.0.0.1:${port}${p}`, init);

describe("the dashboard's nginx with USERFORGE_API_UPSTREAM", () => {
  it('passes /v1 (query and method included), /openapi.json and /healthz on to the API', async () => {
    const users = await get('/v1/users?limit=10&page=2');
    expect([users.status, users.headers.get('content-type'), await users.json()]).toEqual([200, 'application/json', { from: 'api', url: '/v1/users?limit=10&page=2' }]);
    const patched = await get('/v1/users/abc', { method: 'PATCH', body: '{"name":"x"}', headers: { 'content-type': 'application/json' } });
    expect(await patched.json()).toEqual({ from: 'api', url: '/v1/users/abc' });
    for (const p of ['/openapi.json', '/healthz']) expect([p, await (await get(p)).json()]).toEqual([p, { from: 'api', url: p }]);
    const last = seen.find((s) => s.url === '/v1/users?limit=10&page=2');
    // The browser's host reaches the API (as through the Ingress), and who asked.
    expect(last?.headers).toMatchObject({ host: `127.0.0.1:${port}`, 'x-forwarded-for': '127.0.0.1', 'x-forwarded-proto': 'http' });
  });

  it('streams Server-Sent Events as they are written, each long before the stream ends', async () => {
    const started = Date.now();
    const res = await get('/v1/events');
    expect([res.status, res.headers.get('content-type')]).toEqual([200, 'text/event-stream']);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    const arrivals: [string, number][] = [];
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      for (const n of decoder.decode(chunk.value, { stream: true }).matchAll(/data: \{"n":(\d)\}/g)) arrivals.push([n[1]!, Date.now() - started]);
    }
    expect(arrivals.map(([n]) => n)).toEqual(['1', '2', '3']);
    const [, second] = arrivals[1]!;
    expect(second).toBeGreaterThanOrEqual(SECOND_EVENT_MS - 50);
    expect(second).toBeLessThan((SECOND_EVENT_MS + STREAM_END_MS) / 2);
    expect(arrivals[2]![1]).toBeGreaterThanOrEqual(STREAM_END_MS - 50);
    // nginx 1.22 passed these events on with its default buffering too; the stream's location turns
    // buffering off anyway (as the Ingress does) and keeps a quiet stream open for an hour, which
    // a test cannot wait for: read from the configuration the entrypoint wrote.
    const conf = fs.readFileSync(path.join(work, 'runtime', 'api-proxy.conf'), 'utf8');
    const events = /location = \/v1\/events \{([^}]*)\}/.exec(conf)?.[1] ?? '';
    for (const line of ['proxy_buffering off;', 'proxy_read_timeout 3600s;', 'proxy_send_timeout 3600s;', 'proxy_http_version 1.1;']) expect([line, events.includes(line)]).toEqual([line, true]);
  });

  it('still serves the dashboard itself: config.js uncached, the app for any other path', async () => {
    const config = await get('/config.js');
    expect(await config.text()).toContain('apiUrl: "" || window.location.origin');
    expect(config.headers.get('cache-control')).toBe('no-store');
    const page = await get('/users/some-id');
    expect([page.status, await page.text()]).toEqual([200, expect.stringContaining('<title>userforge</title>')]);
    expect(seen.some((s) => s.url === '/users/some-id' || s.url === '/config.js')).toBe(false);
  });
});

describe("the dashboard's entrypoint script", () => {
  it('writes no proxy without an upstream (the browser then calls USERFORGE_API_URL)', () => {
    const dir = path.join(work, 'no-upstream');
    expect(runScript(dir, { USERFORGE_API_URL: 'https://api.example.org' }).status).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'api-proxy.conf'), 'utf8')).toBe('');
    expect(fs.readFileSync(path.join(dir, 'config.js'), 'utf8')).toContain('apiUrl: "https://api.example.org"');
  });

  it.each(['userforge-api:9000', 'http://api:9000/v1', 'http://api:9000; return 200', 'http://'])('refuses the upstream %s, so the container does not start', (bad) => {
    const r = runScript(path.join(work, 'bad'), { USERFORGE_API_UPSTREAM: bad });
    expect([r.status, r.stderr]).toEqual([1, expect.stringContaining('USERFORGE_API_UPSTREAM must be http://host:port')]);
  });
});
