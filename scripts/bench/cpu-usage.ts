/**
 * Where the machine's CPU went during a measured section: user+system time of every process,
 * grouped by role, from /proc (Linux only; elsewhere the snapshot is empty). Processes that start
 * during the section count from zero; processes that end during it are missed, so take the second
 * snapshot before stopping anything.
 */
import fs from 'node:fs';

const GROUPS: Array<[string, RegExp]> = [
  ['ferretdb', /ferretdb/i],
  ['postgres (autovacuum)', /^postgres: autovacuum/],
  ['postgres (background)', /^postgres: (checkpointer|background writer|walwriter|wal writer|logical|stats)/],
  ['postgres', /postgres/],
  ['kafka', /kafka/i],
  ['redis', /redis-server/],
  ['prometheus', /prometheus/],
  ['api', /services\/api\//],
  ['consumer', /services\/consumer\//],
  ['bench', /scripts\/bench\//],
];

type Snapshot = Map<string, { cmd: string; ticks: number; systemTicks: number }>;

export function cpuSnapshot(): Snapshot {
  const snapshot: Snapshot = new Map();
  let pids: string[];
  try {
    pids = fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  } catch {
    return snapshot;
  }
  for (const pid of pids) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // Fields 14 and 15 of stat (utime, stime) are the 12th and 13th after the command name.
      const ticks = Number(fields[11]) + Number(fields[12]);
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      snapshot.set(pid, { cmd, ticks, systemTicks: Number(fields[12]) });
    } catch {
      // The process ended between listing and reading.
    }
  }
  return snapshot;
}

/** Each process's ticks (all, and in the kernel) between two snapshots, with its role; a reused pid counts from zero. */
function* spentByRole(before: Snapshot, after: Snapshot): Generator<{ role: string; spent: number; system: number }> {
  for (const [pid, { cmd, ticks, systemTicks }] of after) {
    const earlier = before.get(pid);
    const same = earlier !== undefined && earlier.cmd === cmd;
    const spent = same ? ticks - earlier.ticks : ticks;
    if (spent <= 0) continue;
    const role = GROUPS.find(([, re]) => re.test(cmd))?.[0] ?? 'other';
    yield { role, spent, system: same ? systemTicks - earlier.systemTicks : systemTicks };
  }
}

/** CPU seconds per role between two snapshots (clock ticks are 100 per second on Linux). */
export function cpuSecondsByRole(before: Snapshot, after: Snapshot): Record<string, number> {
  const totals: Record<string, number> = {};
  for (const { role, spent } of spentByRole(before, after)) totals[role] = (totals[role] ?? 0) + spent / 100;
  return Object.fromEntries(Object.entries(totals).sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, Number(v.toFixed(1))]));
}

/**
 * Each role's share of CPU spent in the kernel, largest role first, leaving out roles with less than
 * `minAll` in all (in whatever unit the totals are).
 */
export function systemShares(totals: Record<string, { all: number; system: number }>, minAll: number): Record<string, number> {
  return Object.fromEntries(
    Object.entries(totals)
      .filter(([, t]) => t.all >= minAll)
      .sort((a, b) => b[1].all - a[1].all)
      .map(([k, t]) => [k, Number((t.system / t.all).toFixed(2))]),
  );
}

/**
 * The share of each role's CPU spent in the kernel (system time) between two snapshots: where a
 * role's CPU differs between two set-ups, this says whether its own code or the kernel's path (the
 * network, the file system) took the difference.
 */
export function systemShareByRole(before: Snapshot, after: Snapshot): Record<string, number> {
  const totals: Record<string, { all: number; system: number }> = {};
  for (const { role, spent, system } of spentByRole(before, after)) {
    const t = (totals[role] ??= { all: 0, system: 0 });
    t.all += spent;
    t.system += system;
  }
  return systemShares(totals, 5);
}

/** The whole machine's CPU counters (clock ticks, all cores): total, idle (with I/O wait) and stolen by the hypervisor. */
export interface CpuCounters {
  total: number;
  idle: number;
  steal: number;
}

/** The counters now; undefined where /proc/stat cannot be read (not Linux). */
export function cpuCounters(): CpuCounters | undefined {
  try {
    const line = fs.readFileSync('/proc/stat', 'utf8').split('\n').find((l) => l.startsWith('cpu '))!;
    // user nice system idle iowait irq softirq steal (guest time is already inside user and nice)
    const f = line.trim().split(/\s+/).slice(1, 9).map(Number);
    return { total: f.reduce((a, b) => a + b, 0), idle: (f[3] ?? 0) + (f[4] ?? 0), steal: f[7] ?? 0 };
  } catch {
    return undefined;
  }
}

/**
 * The shares of the machine's CPU time between two readings, in per cent (one decimal): idle (a
 * pipeline that leaves cores idle waits on something other than CPU) and stolen by the hypervisor.
 */
export function cpuShares(before: CpuCounters | undefined, after: CpuCounters | undefined): { idlePercent: number; stealPercent: number } | undefined {
  if (!before || !after) return undefined;
  const total = after.total - before.total;
  const share = (key: 'idle' | 'steal') => (total > 0 ? Number(((100 * (after[key] - before[key])) / total).toFixed(1)) : 0);
  return { idlePercent: share('idle'), stealPercent: share('steal') };
}
