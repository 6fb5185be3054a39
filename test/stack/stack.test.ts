import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import Redis from 'ioredis';
import { freePort, isOurProcess, readPid, stackDefs, serverDefs, type ServerName, REPO_ROOT, stackPaths, type StackSettings, StackError, down, formatStatusTable, reset, status, up, isolatedSettings } from '@userforge/devstack';

const run = promisify(execFile);

/** Runs the real CLI (what `npm run stack:*` runs) against this test's private stack. */
async function cli(settings: StackSettings, command: string): Promise<{ code: number; out: string }> {
  const env = Object.fromEntries(Object.entries(settings).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : String(v)]));
  try {
    const r = await run(process.execPath, [require.resolve('tsx/cli'), path.join(REPO_ROOT, 'scripts/stack.ts'), command], {
      env: { ...process.env, ...env },
    });
    return { code: 0, out: r.stdout + r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout + e.stderr };
  }
}

describe('local stack lifecycle (Redis and Prometheus, isolated)', () => {
  let settings: StackSettings;
  const defs = () => serverDefs(settings, ['redis', 'prometheus']);
  const pidOf = (name: string) => readPid(path.join(stackPaths(settings).run, `${name}.pid`));

  beforeAll(async () => {
    settings = { ...(await isolatedSettings('stacktest')), USERFORGE_STACK_SERVERS: ['redis', 'prometheus'] };
  });
  afterAll(async () => {
    await reset(settings, defs());
  });

  it('starts each server and waits until it answers', async () => {
    const started = await up(settings, defs());
    expect(started.map((s) => [s.name, s.state, s.detail])).toEqual([
      ['redis', 'healthy', 'started'],
      ['prometheus', 'healthy', 'started'],
    ]);
    expect((await status(settings, defs())).every((s) => s.state === 'healthy')).toBe(true);
  });

  it('is idempotent: a second up keeps the same processes', async () => {
    const before = [pidOf('redis'), pidOf('prometheus')];
    const again = await up(settings, defs());
    expect(again.map((s) => s.detail)).toEqual(['already running', 'already running']);
    expect([pidOf('redis'), pidOf('prometheus')]).toEqual(before);
  });

  it('status reports a server killed by hand as down and exits non-zero', async () => {
    const ok = await cli(settings, 'status');
    expect(ok.code).toBe(0);
    const pid = pidOf('redis')!;
    process.kill(pid, 'SIGKILL');
    while (isOurProcess(pid, defs()[0]!.marker)) await new Promise((r) => setTimeout(r, 50));
    const res = await cli(settings, 'status');
    expect(res.code).toBe(1);
    expect(res.out).toMatch(/DOWN\s+redis/);
    expect(res.out).toMatch(/ok\s+prometheus/);
  });

  it('restarts only what is down, and Redis data survives down/up', async () => {
    const prom = pidOf('prometheus');
    const restarted = await up(settings, defs());
    expect(restarted.map((s) => s.detail)).toEqual(['started', 'already running']);
    expect(pidOf('prometheus')).toBe(prom);

    const client = new Redis({ port: settings.USERFORGE_REDIS_PORT, lazyConnect: true });
    await client.connect();
    await client.set('survives', 'yes');
    await client.quit();
    await down(settings, [defs()[0]!]);
    await up(settings, [defs()[0]!]);
    const again = new Redis({ port: settings.USERFORGE_REDIS_PORT, lazyConnect: true });
    await again.connect();
    expect(await again.get('survives')).toBe('yes');
    await again.quit();
  });

  it('refuses to start on a port another process holds, naming the setting to change', async () => {
    await down(settings, defs());
    const squatter = net.createServer();
    await new Promise<void>((r) => squatter.listen(settings.USERFORGE_REDIS_PORT, '127.0.0.1', () => r()));
    try {
      await expect(up(settings, defs())).rejects.toThrow(StackError);
      await expect(up(settings, defs())).rejects.toThrow(/port \d+ is already in use.*USERFORGE_REDIS_PORT/);
    } finally {
      await new Promise((r) => squatter.close(r));
    }
  });

  it('down stops every process it started; reset deletes the data', async () => {
    await up(settings, defs());
    const pids = [pidOf('redis')!, pidOf('prometheus')!];
    const res = await cli(settings, 'down');
    expect(res.code).toBe(0);
    defs().forEach((d, i) => expect(isOurProcess(pids[i]!, d.marker)).toBe(false));
    expect(fs.existsSync(path.join(stackPaths(settings).data, 'redis'))).toBe(true);
    await cli(settings, 'reset');
    expect(fs.existsSync(stackPaths(settings).root)).toBe(false);
  });
});

describe('which processes `stack:up` starts', () => {
  it('with --kube and --apps: the control plane and the operator, even when the settings list no kube', async () => {
    const settings: StackSettings = { ...(await isolatedSettings('defs')), USERFORGE_STACK_SERVERS: ['mongo', 'redis', 'kafka'] };
    const names = (servers: ServerName[]) => stackDefs(settings, servers, true).map((d) => d.name);
    expect(names(['mongo', 'redis', 'kafka', 'kube'])).toEqual(
      expect.arrayContaining(['etcd', 'kube-apiserver', 'kube-controller-manager', 'api', 'consumer-1', 'operator']),
    );
    const without = names(['mongo', 'redis', 'kafka']);
    expect(without).toContain('api');
    expect(without).not.toContain('operator');
    expect(without).not.toContain('kube-apiserver');
  });
});

describe('freePort', () => {
  it('hands out distinct ports below the ephemeral range, each free to listen on', async () => {
    const [low] = fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    const ports = await Promise.all(Array.from({ length: 40 }, () => freePort()));
    expect(new Set(ports).size).toBe(40);
    for (const port of ports) expect(port).toBeLessThan(low!);
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(ports[0], '127.0.0.1', resolve));
    server.close();
  });
});

describe('the status table', () => {
  it('lines up one row per process, marking what is not healthy and what has no port or pid', () => {
    const table = formatStatusTable([
      { name: 'redis', ports: [6380], pid: 4242, state: 'healthy', detail: 'answers' },
      { name: 'kube-scheduler', ports: [], state: 'stopped', detail: 'not running' },
    ]).split('\n');
    expect(table).toEqual([
      'ok    redis          port 6380   pid 4242     healthy: answers',
      'DOWN  kube-scheduler port -      pid -        stopped: not running',
    ]);
  });
});
