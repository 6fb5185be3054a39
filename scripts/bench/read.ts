/**
 * Read-path benchmark against the running stack (`npm run stack:up`), on its own database with at
 * least --users users (generated through the real pipeline first when missing). With autocannon,
 * in one run: a cached page, the same page uncached, a trivial JSON route of the same server (the
 * ceiling), page 1 and page 100,000 uncached, the count and the statistics.
 * Ends with one JSON line. Usage: npm run bench:read -- [--users 1000000] [--seconds 8]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import type { JobView } from '@userforge/contracts';
import { appEnv, tsxCommand, waitForHttp, freePort, REPO_ROOT, loadStackSettings } from '@userforge/devstack';

const { values } = parseArgs({
  options: {
    users: { type: 'string', default: '1000000' },
    seconds: { type: 'string', default: '8' },
    db: { type: 'string', default: 'userforge_bench_read' },
  },
});
const USERS = Number(values.users);
const SECONDS = Number(values.seconds);
if (!Number.isInteger(USERS) || USERS < 1000) throw new Error('--users must be an integer of at least 1000');
const env = appEnv(loadStackSettings());
const MONGO_URL = env.MONGO_URL.replace(/\/[^/]*$/, `/${values.db}`);
const log = (m: string) => console.log(`[bench] ${m}`);
const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'userforge-bench-read-'));
const children: ChildProcess[] = [];

function spawnApp(entry: string, name: string, extra: Record<string, string>): ChildProcess {
  const { cmd, args } = tsxCommand(entry);
  const out = fs.openSync(path.join(logDir, `${name}.log`), 'a');
  const child = spawn(cmd, args, { cwd: REPO_ROOT, env: { ...process.env, ...env, MONGO_URL, LOG_LEVEL: 'warn', ...extra }, stdio: ['ignore', out, out] });
  children.push(child);
  return child;
}


async function startApi(extra: Record<string, string> = {}): Promise<string> {
  const port = await freePort();
  spawnApp('services/api/src/main.ts', `api-${port}`, { PORT: String(port), HOST: '127.0.0.1', RATE_LIMIT_GENERATE_PER_MINUTE: '0', ...extra });
  const base = `http://127.0.0.1:${port}`;
  await waitForHttp(`${base}/readyz`, 120_000, `logs in ${logDir}`);
  return base;
}

async function ensureUsers(base: string): Promise<number> {
  const total = async () => ((await (await fetch(`${base}/v1/users/count`)).json()) as { total: number }).total;
  const have = await total();
  if (have >= USERS) return have;
  log(`database ${values.db} has ${have} users; generating ${USERS - have} through the pipeline (2 consumers)`);
  for (const i of [0, 1]) {
    const port = await freePort();
    spawnApp('services/consumer/src/main.ts', `consumer-${i}`, { METRICS_PORT: String(port), KAFKA_GROUP_ID: 'userforge-bench-read' });
  }
  const res = await fetch(`${base}/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ count: USERS - have, seed: 4242 }) });
  const job = (await res.json()) as JobView;
  if (res.status !== 202) throw new Error(`job not accepted: ${JSON.stringify(job)}`);
  for (;;) {
    const view = (await (await fetch(`${base}/v1/jobs/${job.id}`)).json()) as JobView;
    if (view.state === 'succeeded') break;
    if (view.state === 'failed' || view.state === 'cancelled') throw new Error(`generation ${view.state}: ${view.error}`);
    await new Promise((r) => setTimeout(r, 2000));
  }
  return total();
}

async function measure(url: string, connections: number, seconds = SECONDS) {
  const result = await autocannon({ url, connections, duration: seconds, pipelining: 1 });
  if (result.non2xx || result.errors) throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return { rps: Math.round(result.requests.average), p50: result.latency.p50, p99: result.latency.p99 };
}

async function main() {
  try {
    const cachedBase = await startApi();
    const users = await ensureUsers(cachedBase);
    const uncachedBase = await startApi({ CACHE_TTL_SECONDS: '0' });
    const page1 = '/v1/users?limit=10&page=1';
    const deep = `/v1/users?limit=10&page=${Math.min(100_000, Math.floor(users / 10))}`;
    await fetch(`${cachedBase}${page1}`); // warm the cache entry
    log(`users: ${users}; measuring (${SECONDS} s each, 50 connections for throughput)`);
    const bare = await measure(`${cachedBase}/healthz`, 50);
    const cached = await measure(`${cachedBase}${page1}`, 50);
    const uncached = await measure(`${uncachedBase}${page1}`, 50);
    const p1 = await measure(`${uncachedBase}${page1}`, 1);
    const pDeep = await measure(`${uncachedBase}${deep}`, 1);
    const count = await measure(`${uncachedBase}/v1/users/count`, 1);
    const stats = await measure(`${uncachedBase}/v1/stats`, 1);
    log(`bare ${JSON.stringify(bare)} cached ${JSON.stringify(cached)} uncached ${JSON.stringify(uncached)}`);
    log(`page1 ${JSON.stringify(p1)} deep(${deep}) ${JSON.stringify(pDeep)} count ${JSON.stringify(count)} stats ${JSON.stringify(stats)}`);
    console.log(
      JSON.stringify({
        users,
        cachedRps: cached.rps,
        bareRps: bare.rps,
        ratio: Number((cached.rps / bare.rps).toFixed(2)),
        p99Ms: cached.p99,
        uncachedRps: uncached.rps,
        page1P50Ms: p1.p50,
        deepPageP50Ms: pDeep.p50,
        deepRatio: Number((pDeep.p50 / Math.max(p1.p50, 1)).toFixed(2)),
        countP50Ms: count.p50,
        statsP50Ms: stats.p50,
      }),
    );
  } finally {
    for (const c of children) c.kill('SIGTERM');
  }
}

main().catch((err: unknown) => {
  console.error(err);
  for (const c of children) c.kill('SIGKILL');
  process.exit(1);
});
