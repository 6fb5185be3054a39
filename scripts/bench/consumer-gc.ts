/**
 * What the consumer's young generation costs: the consumer's in-process work on each user (generate
 * it, serialize it as the driver does for insertMany, add it to the chunk's tally) in child
 * processes that differ only in V8's heap settings:
 *   host          – V8's own choice on a large host (16 MB semi-spaces);
 *   container     – V8's own choice under a 768Mi container limit (4 MB semi-spaces, ~384 MB heap:
 *                   what Node derives from the cgroup, given here as flags so no cgroup is needed);
 *   consumer      – the flags the consumer runs with (APPS.consumer.nodeArgs, the chart's
 *                   consumer.nodeOptions) on a large host;
 *   consumerIn768 – the same flags under the container's heap limit.
 * Rounds alternate the order so drift on a noisy machine hits each alike. Ends with one JSON line of
 * CPU seconds per million users (median of the rounds) and ratios to `consumerIn768`. Usage:
 *   npm run bench:consumer-gc -- [--users 500000] [--rounds 3]
 */
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { BSON } from 'mongodb';
import { TallyBuilder, generateChunk } from '@userforge/users';
import { APPS } from '@userforge/devstack';

const { values } = parseArgs({
  options: { users: { type: 'string', default: '500000' }, rounds: { type: 'string', default: '3' }, child: { type: 'boolean', default: false } },
});
const USERS = Number(values.users);
const ROUNDS = Number(values.rounds);
const BATCH = 2_000;
const CONTAINER_HEAP = '--max-old-space-size=384';
const SETTINGS: Record<string, readonly string[]> = {
  host: [],
  container: ['--max-semi-space-size=4', CONTAINER_HEAP],
  consumer: APPS.consumer.nodeArgs,
  consumerIn768: [...APPS.consumer.nodeArgs, CONTAINER_HEAP],
};
const BASE = 'consumerIn768';

/** In the child: the work, then CPU seconds and peak RSS on stdout. */
function work(): void {
  const spec = { jobId: 'b'.repeat(24), chunkIndex: 0, seed: 2024, seqStart: 0, count: USERS, locale: 'en' as const, createdAt: new Date().toISOString() };
  const start = process.cpuUsage();
  const tally = new TallyBuilder();
  let bytes = 0;
  for (const batch of generateChunk(spec, BATCH)) {
    for (const user of batch) bytes += BSON.serialize(user).length;
    for (const user of batch) tally.add(user);
  }
  tally.build('bench', new Date());
  const used = process.cpuUsage(start);
  process.stdout.write(JSON.stringify({ cpuSeconds: (used.user + used.system) / 1e6, bytes, peakRssMb: process.resourceUsage().maxRSS / 1024 }));
}

function measure(flags: readonly string[]): { cpuSeconds: number; peakRssMb: number } {
  const r = spawnSync(process.execPath, [...flags, '--import', 'tsx', __filename, '--child', '--users', String(USERS)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`child with ${flags.join(' ') || 'no flags'} failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

function main(): void {
  const names = Object.keys(SETTINGS);
  const cpu = new Map<string, number[]>(names.map((n) => [n, []]));
  const rss = new Map<string, number>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const name of round % 2 ? [...names].reverse() : names) {
      const m = measure(SETTINGS[name]!);
      cpu.get(name)!.push(m.cpuSeconds);
      rss.set(name, Math.max(rss.get(name) ?? 0, m.peakRssMb));
      console.log(`[bench] round ${round + 1}: ${name} (${SETTINGS[name]!.join(' ') || 'no flags'}): ${m.cpuSeconds.toFixed(2)} CPU-s for ${USERS} users, peak RSS ${m.peakRssMb.toFixed(0)} MB`);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const perMillion = (name: string) => (median(cpu.get(name)!) * 1e6) / USERS;
  const line: Record<string, number> = { users: USERS, rounds: ROUNDS };
  for (const n of names) line[`${n}CpuSecondsPerMillion`] = Number(perMillion(n).toFixed(2));
  for (const n of names) if (n !== BASE) line[`${n}To${BASE[0]!.toUpperCase()}${BASE.slice(1)}`] = Number((perMillion(n) / perMillion(BASE)).toFixed(2));
  line.consumerPeakRssMb = Math.round(rss.get('consumer')!);
  console.log(JSON.stringify(line));
}

if (values.child) work();
else main();
