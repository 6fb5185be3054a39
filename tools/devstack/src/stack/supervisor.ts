import fs from 'node:fs';
import path from 'node:path';
import { isOurProcess, isPortFree, readPid, spawnDetached, stopProcess, waitFor, writePid } from './procs';
import type { ProcessDef } from './process-def';
import { stackPaths, type StackSettings } from './settings';

export class StackError extends Error {}

export type State = 'healthy' | 'unhealthy' | 'stopped';

export interface ProcessStatus {
  name: string;
  ports: number[];
  pid?: number;
  state: State;
  detail: string;
}

type Log = (message: string) => void;

/** One line per process: mark, name, first port, pid, state and why (`stack:status`). */
export function formatStatusTable(rows: ProcessStatus[]): string {
  const width = Math.max(11, ...rows.map((r) => r.name.length));
  return rows
    .map((r) => {
      const mark = r.state === 'healthy' ? 'ok  ' : 'DOWN';
      const port = r.ports.length > 0 ? String(r.ports[0]) : '-';
      const pid = r.pid === undefined ? '-' : String(r.pid);
      return `${mark}  ${r.name.padEnd(width)} port ${port.padEnd(6)} pid ${pid.padEnd(8)} ${r.state}: ${r.detail}`;
    })
    .join('\n');
}

const files = (s: StackSettings, name: string) => {
  const p = stackPaths(s);
  return { pid: path.join(p.run, `${name}.pid`), log: path.join(p.logs, `${name}.log`) };
};

function tail(file: string, lines = 15): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

function runningPid(s: StackSettings, def: ProcessDef): number | undefined {
  const pid = readPid(files(s, def.name).pid);
  return pid !== undefined && isOurProcess(pid, def.marker) ? pid : undefined;
}

/** Starts what is not running, leaves what is running alone, and waits until each one answers. */
export async function up(s: StackSettings, defs: ProcessDef[], log: Log = () => undefined): Promise<ProcessStatus[]> {
  const result: ProcessStatus[] = [];
  for (const def of defs) {
    const f = files(s, def.name);
    const existing = runningPid(s, def);
    if (existing !== undefined) {
      await waitFor(def.name, def.health, def.startTimeoutMs, () => isOurProcess(existing, def.marker));
      result.push({ name: def.name, ports: def.ports, pid: existing, state: 'healthy', detail: 'already running' });
      log(`${def.name}: already running (pid ${existing})`);
      continue;
    }
    for (const [i, port] of def.ports.entries()) {
      if (!(await isPortFree(port))) {
        throw new StackError(
          `${def.name}: port ${port} is already in use by a process this stack did not start. ` +
            `Stop that process, or pick another port with ${def.portVars[i]}=<port>.`,
        );
      }
    }
    const launch = def.prepare(log);
    const pid = spawnDetached(launch, f.log);
    writePid(f.pid, pid);
    log(`${def.name}: started (pid ${pid}), waiting until it answers`);
    try {
      await waitFor(def.name, def.health, def.startTimeoutMs, () => isOurProcess(pid, def.marker));
    } catch (err) {
      throw new StackError(`${(err as Error).message}\n--- last lines of ${f.log} ---\n${tail(f.log)}`);
    }
    result.push({ name: def.name, ports: def.ports, pid, state: 'healthy', detail: 'started' });
    log(`${def.name}: healthy${def.ports.length > 0 ? ` on port ${def.ports[0]}` : ''}`);
  }
  return result;
}

export async function status(s: StackSettings, defs: ProcessDef[]): Promise<ProcessStatus[]> {
  return Promise.all(
    defs.map(async (def): Promise<ProcessStatus> => {
      const pid = runningPid(s, def);
      if (pid === undefined) return { name: def.name, ports: def.ports, state: 'stopped', detail: 'not running' };
      try {
        await def.health();
        return { name: def.name, ports: def.ports, pid, state: 'healthy', detail: 'answers' };
      } catch (err) {
        return { name: def.name, ports: def.ports, pid, state: 'unhealthy', detail: (err as Error).message };
      }
    }),
  );
}

/** Stops, in reverse start order, only the processes whose pid files this stack wrote. */
export async function down(s: StackSettings, defs: ProcessDef[], log: Log = () => undefined): Promise<void> {
  for (const def of [...defs].reverse()) {
    const f = files(s, def.name);
    const pid = runningPid(s, def);
    if (pid !== undefined) {
      log(`${def.name}: stopping (pid ${pid})`);
      await stopProcess(pid, def.marker);
    }
    fs.rmSync(f.pid, { force: true });
  }
}

/** Stops everything and deletes the stack's data, logs and configuration. */
export async function reset(s: StackSettings, defs: ProcessDef[], log: Log = () => undefined): Promise<void> {
  await down(s, defs, log);
  fs.rmSync(stackPaths(s).root, { recursive: true, force: true });
  log(`removed ${stackPaths(s).root}`);
}
