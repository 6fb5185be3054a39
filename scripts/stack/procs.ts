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
export function spawnDetached(launch: Launch, logFile: string): number {
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

/** A port the OS says is free right now (for isolated test stacks). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
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
