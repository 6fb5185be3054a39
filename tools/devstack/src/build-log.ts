import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ProvisionError } from './prerequisites';

export type Log = (m: string) => void;

/** A long build: what it makes, the command, where its output goes and how long it usually takes. */
export interface LongBuild {
  /** What is built, in the log lines: `Kubernetes v1.33.13`. */
  what: string;
  cmd: string;
  args: string[];
  /** The command's output; on failure the error quotes its end. */
  logFile: string;
  cwd?: string;
  /** Set on top of this process's environment. */
  env?: NodeJS.ProcessEnv;
  /** How long it usually takes on 2 cores, as the docs measured it: `about 7 min`. */
  estimate: string;
  log: Log;
}

/** Seconds between the lines that say a build is still running. */
const HEARTBEAT_S = 30;

/**
 * Runs the command with its output appended to `$1`, and prints `$2<elapsed>$3` to stderr every
 * `$4` seconds until it ends; exits with the command's status. A shell does the ticking so the
 * build stays synchronous, as every provisioning step around it is.
 */
const WITH_HEARTBEAT = `log=$1; before=$2; after=$3; every=$4; shift 4
start=$(date +%s)
( trap 'kill $s 2>/dev/null; exit 0' TERM
  while :; do
    sleep "$every" & s=$!; wait $s
    t=$(( $(date +%s) - start ))
    printf '%s%d min %02d s%s\\n' "$before" $((t / 60)) $((t % 60)) "$after" >&2
  done ) &
ticker=$!
"$@" >> "$log" 2>&1
rc=$?
kill "$ticker" 2>/dev/null
wait "$ticker" 2>/dev/null
exit "$rc"`;

export const took = (startedMs: number) => {
  const s = Math.round((Date.now() - startedMs) / 1000);
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
};

/**
 * Runs a long build: a start line with its estimate and log file, a line every 30 s while it runs,
 * and its outcome with the time it took. On failure the error quotes the end of the log.
 */
export function runLogged(b: LongBuild): void {
  fs.mkdirSync(path.dirname(b.logFile), { recursive: true });
  fs.writeFileSync(b.logFile, `$ ${b.cmd} ${b.args.map((a) => (/\s/.test(a) ? `'${a}'` : a)).join(' ')}\n`);
  const started = Date.now();
  b.log(`building ${b.what} (usually ${b.estimate} on 2 cores); log: ${b.logFile}`);
  const r = spawnSync(
    'sh',
    ['-c', WITH_HEARTBEAT, 'build', b.logFile, `[build] still building ${b.what}: `, ` so far (usually ${b.estimate}); log: ${b.logFile}`, String(HEARTBEAT_S), b.cmd, ...b.args],
    { cwd: b.cwd, env: { ...process.env, ...b.env }, stdio: ['ignore', 'inherit', 'inherit'] },
  );
  if (r.status !== 0) {
    const tail = fs.readFileSync(b.logFile, 'utf8').trimEnd().split('\n').slice(-30).join('\n');
    throw new ProvisionError(`building ${b.what} failed after ${took(started)} (exit ${r.status ?? r.signal}); full log: ${b.logFile}\n${tail}`);
  }
  b.log(`built ${b.what} in ${took(started)}`);
}

const sleepSync = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs `build` under a lock file in `home`, so a test run and `stack:up` started together do not
 * both spend a quarter of an hour building the same thing: the second waits for the first.
 */
export function withBuildLock<T>(home: string, what: string, log: Log, done: () => T | undefined, build: () => T): T {
  fs.mkdirSync(home, { recursive: true });
  const lock = path.join(home, 'build.lock');
  for (;;) {
    const finished = done();
    if (finished) return finished;
    try {
      fs.writeFileSync(lock, String(process.pid), { flag: 'wx' });
      break;
    } catch {
      const holder = Number(fs.readFileSync(lock, 'utf8').trim());
      if (!Number.isInteger(holder) || holder <= 0 || !alive(holder)) {
        fs.rmSync(lock, { force: true });
        continue;
      }
      log(`another process (pid ${holder}) is building ${what}; waiting for it (log: ${path.join(home, 'build.log')})`);
      while (alive(holder) && fs.existsSync(lock)) sleepSync(2_000);
    }
  }
  try {
    return done() ?? build();
  } finally {
    fs.rmSync(lock, { force: true });
  }
}
