/**
 * Export benchmark against the running stack (`npm run stack:up`), on its own database: one job of
 * --users users (generated through the real pipeline with 2 consumers when the database has no such
 * job), then, in one run:
 *   (a) the database ceiling: the job's range read from this process through the user repository,
 *       as the API reads it (no HTTP, no formatting);
 *   (b) `GET /v1/jobs/{id}/users?format=ndjson` and (c) `format=csv` from its own API, every line
 *       counted (count == users or the run fails), sampling the API's RSS all along;
 *   (d) `DELETE /v1/jobs/{id}/users`, polled until the purge is done.
 * Ends with one JSON line. Usage: npm run bench:export -- [--users 1000000] [--db NAME]
 *   [--skip-purge] [--gzip] [--api-plain] [--api-node-args=--cpu-prof]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createGunzip } from 'node:zlib';
import { MongoClient } from 'mongodb';
import type { JobView, PaginatedData } from '@userforge/contracts';
import { UserRepository } from '@userforge/users';
import { appEnv, tsxCommand, waitForHttp, freePort, REPO_ROOT, loadStackSettings } from '@userforge/devstack';
import { cpuSecondsByRole, cpuSnapshot } from './cpu-usage';
import { metricSum } from './metrics-text';

const { values } = parseArgs({
  options: {
    users: { type: 'string', default: '1000000' },
    db: { type: 'string', default: 'userforge_bench_export' },
    /** Keep the job's users (no purge): for repeated export runs without generating again. */
    'skip-purge': { type: 'boolean', default: false },
    /** Ask for the exports gzipped (`Accept-Encoding: gzip`); the client inflates them. */
    gzip: { type: 'boolean', default: false },
    /** Extra Node.js flags for the API, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" (written when the API stops). */
    'api-node-args': { type: 'string', default: '' },
    /** Start the API without the V8 flags the stack gives it (APPS.api.nodeArgs): node's defaults plus --api-node-args. */
    'api-plain': { type: 'boolean', default: false },
    /** Give up waiting for the purge after this long; the rate is then what was deleted so far. */
    'purge-timeout': { type: 'string', default: '900' },
  },
});
const USERS = Number(values.users);
const PURGE_TIMEOUT_MS = Number(values['purge-timeout']) * 1000;
if (!Number.isInteger(USERS) || USERS < 1000) throw new Error('--users must be an integer of at least 1000');
const env = appEnv(loadStackSettings());
const MONGO_URL = env.MONGO_URL.replace(/\/[^/]*$/, `/${values.db}`);
const log = (m: string) => console.log(`[bench] ${m}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'userforge-bench-export-'));
const children: ChildProcess[] = [];

function spawnApp(entry: string, name: string, extra: Record<string, string>, nodeArgs: string[] = [], plain = false): ChildProcess {
  const { cmd, args } = tsxCommand(entry, nodeArgs, { appNodeArgs: !plain });
  const out = fs.openSync(path.join(logDir, `${name}.log`), 'a');
  const child = spawn(cmd, args, { cwd: REPO_ROOT, env: { ...process.env, ...env, MONGO_URL, LOG_LEVEL: 'warn', ...extra }, stdio: ['ignore', out, out] });
  children.push(child);
  return child;
}

async function startApi(): Promise<{ base: string; pid: number }> {
  const port = await freePort();
  const child = spawnApp(
    'services/api/src/main.ts',
    'api',
    { PORT: String(port), HOST: '127.0.0.1', RATE_LIMIT_GENERATE_PER_MINUTE: '0' },
    values['api-node-args'].split(' ').filter(Boolean),
    values['api-plain'],
  );
  const base = `http://127.0.0.1:${port}`;
  await waitForHttp(`${base}/readyz`, 120_000, `logs in ${logDir}`);
  return { base, pid: child.pid! };
}

const getJson = async <T>(url: string): Promise<T> => {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
};

/** A succeeded job of exactly --users users whose users are all still there, generated first when there is none. */
async function ensureJob(base: string): Promise<JobView> {
  const jobs = await getJson<PaginatedData<JobView>>(`${base}/v1/jobs?limit=100`);
  const found = jobs.data.find((j) => j.state === 'succeeded' && j.count === USERS && j.usersStored === USERS && !j.purge);
  if (found) {
    log(`database ${values.db}: reusing job ${found.id} (${USERS} users)`);
    return found;
  }
  log(`database ${values.db} has no ${USERS}-user job; generating one through the pipeline (2 consumers)`);
  const group = `bench-export-${randomUUID()}`;
  const ports: number[] = [];
  for (const i of [0, 1]) {
    const port = await freePort();
    ports.push(port);
    // A fresh group that reads only what is published from now on, not old chunks of other databases.
    spawnApp('services/consumer/src/main.ts', `consumer-${i}`, { METRICS_PORT: String(port), KAFKA_GROUP_ID: group, KAFKA_FROM_BEGINNING: 'false' });
  }
  for (const port of ports) await waitForHttp(`http://127.0.0.1:${port}/readyz`, 120_000, `logs in ${logDir}`);
  await sleep(2_000); // let the group settle and the new members resolve their start offsets
  const res = await fetch(`${base}/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ count: USERS, seed: 4242 }) });
  let job = (await res.json()) as JobView;
  if (res.status !== 202) throw new Error(`job not accepted: ${JSON.stringify(job)}`);
  for (let lastLog = Date.now(); job.state !== 'succeeded'; ) {
    if (job.state === 'failed' || job.state === 'cancelled') throw new Error(`generation ${job.state}: ${job.error}`);
    await sleep(2_000);
    job = await getJson<JobView>(`${base}/v1/jobs/${job.id}`);
    if (Date.now() - lastLog > 15_000) {
      lastLog = Date.now();
      log(`generating: ${job.usersStored}/${USERS} users, ${job.usersPerSec} users/s`);
    }
  }
  // The consumers are no longer needed, and would take CPU from what is measured.
  for (const c of children.splice(1)) c.kill('SIGTERM');
  await sleep(2_000);
  return job;
}

/** Resident memory of a live process in MB: all of it (VmRSS) and its private anonymous part (RssAnon, without the executable's shared pages). */
function residentMb(pid: number): { rss: number; anon: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) / 1024;
  return { rss: kb('VmRSS'), anon: kb('RssAnon') };
}

/** Samples a process's resident memory until stopped: the peaks seen. */
function residentSampler(pid: number, everyMs = 20) {
  const peak = residentMb(pid);
  const sample = () => {
    const now = residentMb(pid);
    peak.rss = Math.max(peak.rss, now.rss);
    peak.anon = Math.max(peak.anon, now.anon);
  };
  const timer = setInterval(sample, everyMs);
  return { stop: () => (clearInterval(timer), sample(), peak) };
}

/**
 * Peaks of the API's own V8 gauges (its /metrics, every 300 ms): whether RSS growth is V8's heap
 * (allocated, and used including garbage not yet collected) or memory outside it.
 */
function heapSampler(base: string, everyMs = 300) {
  const GAUGES = { heapTotalMb: 'userforge_nodejs_heap_size_total_bytes', heapUsedMb: 'userforge_nodejs_heap_size_used_bytes', externalMb: 'userforge_nodejs_external_memory_bytes' };
  const peak: Record<string, number> = {};
  const sample = () =>
    fetch(`${base}/metrics`)
      .then((r) => r.text())
      .then((text) => {
        for (const [key, name] of Object.entries(GAUGES)) peak[key] = Math.max(peak[key] ?? 0, Math.round(metricSum(text, name) / 1048576));
      })
      .catch(() => undefined);
  const timer = setInterval(() => void sample(), everyMs);
  return { stop: () => (clearInterval(timer), peak) };
}

/** (a) The job's users read as the API reads them, counted: what the database serves with nothing after it. */
async function readCeiling(jobId: string): Promise<number> {
  const client = await MongoClient.connect(MONGO_URL);
  try {
    const job = await client.db().collection<{ _id: string; seqBase: number; count: number }>('jobs').findOne({ _id: jobId });
    if (!job) throw new Error(`job ${jobId} not in ${values.db}`);
    const repo = new UserRepository(client.db());
    const cpuBefore = cpuSnapshot();
    const started = performance.now();
    let n = 0;
    for await (const user of repo.streamBySeq({ gte: job.seqBase, lt: job.seqBase + job.count })) {
      if (user.seq !== job.seqBase + n) throw new Error(`database read: expected seq ${job.seqBase + n}, got ${user.seq}`);
      n++;
    }
    const seconds = (performance.now() - started) / 1e3;
    if (n !== USERS) throw new Error(`database read: ${n} users, expected ${USERS}`);
    log(`database read: ${n} users in ${seconds.toFixed(1)} s; CPU seconds by role ${JSON.stringify(cpuSecondsByRole(cpuBefore, cpuSnapshot()))}`);
    return n / seconds;
  } finally {
    await client.close();
  }
}

/** Streams a response body through `onChunk`; rejects on a status other than 200 or a cut body. */
function download(url: string, headers: Record<string, string>, onChunk: (chunk: Buffer) => void): Promise<{ bytes: number; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers }, (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          reject(new Error(`${url}: ${res.statusCode}`));
          return;
        }
        let body: NodeJS.ReadableStream = res;
        if (res.headers['content-encoding'] === 'gzip') body = res.pipe(createGunzip());
        let bytes = 0;
        body.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          onChunk(chunk);
        });
        body.on('end', () => (res.complete ? resolve({ bytes, headers: res.headers }) : reject(new Error(`${url}: body cut short`))));
        body.on('error', reject);
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

/** (b), (c) One export through the API: every line counted, the API's RSS sampled. */
async function exportOnce(base: string, apiPid: number, job: JobView, format: 'ndjson' | 'csv') {
  const before = residentMb(apiPid);
  const sampler = residentSampler(apiPid);
  const heap = heapSampler(base);
  const cpuBefore = cpuSnapshot();
  const started = performance.now();
  let lines = 0;
  let tail = '';
  const { bytes, headers } = await download(`${base}/v1/jobs/${job.id}/users?format=${format}`, values.gzip ? { 'accept-encoding': 'gzip' } : {}, (chunk) => {
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
    tail = (tail + chunk.subarray(Math.max(0, chunk.length - 2000)).toString('latin1')).slice(-2000);
  });
  const seconds = (performance.now() - started) / 1e3;
  const peak = sampler.stop();
  const heapPeak = heap.stop();
  const users = format === 'csv' ? lines - 1 : lines;
  if (users !== USERS) throw new Error(`${format} export: ${users} users, expected ${USERS}`);
  if (headers['x-export-complete'] !== 'true') throw new Error(`${format} export: X-Export-Complete ${headers['x-export-complete']}`);
  const last = tail.trimEnd().split('\n').pop()!;
  log(`${format}: ${users} users, ${(bytes / 1e6).toFixed(0)} MB in ${seconds.toFixed(1)} s; API RSS ${before.rss.toFixed(0)} → peak ${peak.rss.toFixed(0)} MB (anonymous ${before.anon.toFixed(0)} → ${peak.anon.toFixed(0)} MB); last line ${last.slice(0, 80)}…`);
  log(`${format}: the API's V8 gauges at their peaks (MB) ${JSON.stringify(heapPeak)}`);
  log(`${format}: CPU seconds by role ${JSON.stringify(cpuSecondsByRole(cpuBefore, cpuSnapshot()))}`);
  return { usersPerSec: users / seconds, rssGrowthMb: peak.rss - before.rss, anonGrowthMb: peak.anon - before.anon };
}

/** (d) DELETE, then the job view polled until its purge is done: users deleted per second. */
async function purge(base: string, job: JobView): Promise<{ usersPerSec: number; complete: boolean }> {
  const started = performance.now();
  const res = await fetch(`${base}/v1/jobs/${job.id}/users`, { method: 'DELETE' });
  if (res.status !== 202 && res.status !== 200) throw new Error(`purge not accepted: ${res.status} ${await res.text()}`);
  let view = (await res.json()) as JobView;
  for (let lastLog = Date.now(); view.purge?.state !== 'purged'; ) {
    if (performance.now() - started > PURGE_TIMEOUT_MS) {
      const deleted = view.purge?.deleted ?? 0;
      log(`purge: gave up after ${(PURGE_TIMEOUT_MS / 1e3).toFixed(0)} s with ${deleted} of ${USERS} deleted`);
      return { usersPerSec: deleted / ((performance.now() - started) / 1e3), complete: false };
    }
    await sleep(500);
    view = await getJson<JobView>(`${base}/v1/jobs/${job.id}`);
    if (Date.now() - lastLog > 15_000) {
      lastLog = Date.now();
      log(`purge: ${view.purge?.deleted ?? 0} deleted, ${view.purge?.remaining ?? '?'} remaining`);
    }
  }
  const seconds = (performance.now() - started) / 1e3;
  log(`purge: ${view.purge.deleted} users in ${seconds.toFixed(1)} s`);
  return { usersPerSec: USERS / seconds, complete: true };
}

async function main() {
  try {
    const api = await startApi();
    const job = await ensureJob(api.base);
    const dbRead = await readCeiling(job.id);
    const ndjson = await exportOnce(api.base, api.pid, job, 'ndjson');
    const csv = await exportOnce(api.base, api.pid, job, 'csv');
    const purged = values['skip-purge'] ? null : await purge(api.base, job);
    console.log(
      JSON.stringify({
        users: USERS,
        ndjsonUsersPerSec: Math.round(ndjson.usersPerSec),
        csvUsersPerSec: Math.round(csv.usersPerSec),
        apiRssGrowthMb: Math.round(Math.max(ndjson.rssGrowthMb, csv.rssGrowthMb)),
        apiAnonGrowthMb: Math.round(Math.max(ndjson.anonGrowthMb, csv.anonGrowthMb)),
        purgeUsersPerSec: purged ? Math.round(purged.usersPerSec) : null,
        ...(purged && !purged.complete ? { purgeComplete: false } : {}),
        dbReadUsersPerSec: Math.round(dbRead),
        ...(values.gzip ? { gzip: true } : {}),
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
