import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export interface Launch {
  cmd: string;
  args: string[];
  env?: Record<string, string>;
  cwd?: string;
  uid?: number;
  gid?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts a process in its own process group, detached from us, output appended to `logFile`. */
export function spawnDetached(launch: Launch, logFile: string, onExit?: (code: number | null, signal: NodeJS.Signals | null) => void): number {
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  const out = fs.openSync(logFile, 'a');
  const child = spawn(launch.cmd, launch.args, {
    cwd: launch.cwd,
    env: { ...process.env, ...launch.env },
    detached: true,
    stdio: ['ignore', out, out],
    uid: launch.uid,
    gid: launch.gid,
  });
  fs.closeSync(out);
  if (child.pid === undefined) throw new Error(`could not start ${launch.cmd}`);
  if (onExit) child.once('exit', onExit);
  child.unref();
  return child.pid;
}

/**
 * True when `pid` is alive and its command line contains `marker`, so a pid file left behind
 * after a reboot never makes us signal an unrelated process that reused the number.
 */
export function isOurProcess(pid: number, marker: string): boolean {
  try {
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && cmdline.includes(marker);
  } catch {
    return false;
  }
}

export function readPid(file: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export function writePid(file: string, pid: number): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${pid}\n`);
}

/** SIGTERM the process group, wait for it to go, SIGKILL it if it will not. */
export async function stopProcess(pid: number, marker: string, graceMs = 20_000): Promise<void> {
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig);
    } catch {
      try {
        process.kill(pid, sig);
      } catch {
        /* already gone */
      }
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isOurProcess(pid, marker)) return;
    await sleep(100);
  }
  signal('SIGKILL');
  while (isOurProcess(pid, marker)) await sleep(50);
}

export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}

/**
 * Ports for isolated stacks come from below the kernel's ephemeral range (32768–60999 by default):
 * a port the OS hands out for listening is also one it hands out as the source port of outgoing
 * connections, so on a busy machine such a port could be taken by some client's connection between
 * choosing it and the server binding it (seen here: Kafka refused a port a client had meanwhile).
 */
const PORT_RANGE = { from: 20_000, to: 32_000 } as const;

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** Ports this process already handed out: a stack asks for several before any server binds one. */
const handedOut = new Set<number>();

/** A port free right now, outside the ephemeral range, never the same twice in one process (for isolated test stacks). */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = PORT_RANGE.from + Math.floor(Math.random() * (PORT_RANGE.to - PORT_RANGE.from));
    if (handedOut.has(port)) continue;
    handedOut.add(port); // before the check, so concurrent callers never pick the same one
    if (await canListen(port)) return port;
    handedOut.delete(port);
  }
  throw new Error(`no free port between ${PORT_RANGE.from} and ${PORT_RANGE.to} after 200 tries`);
}

export async function waitFor(what: string, check: () => Promise<void>, timeoutMs: number, isAlive: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      await check();
      return;
    } catch (err) {
      last = err;
    }
    if (!isAlive()) throw new Error(`${what} exited while starting`);
    await sleep(250);
  }
  throw new Error(`${what} did not become healthy within ${timeoutMs / 1000}s: ${(last as Error)?.message ?? 'no answer'}`);
}
