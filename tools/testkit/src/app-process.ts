import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** The repository's root: the nearest directory above `from` whose package.json declares the workspaces. */
export function repoRoot(from: string = __dirname): string {
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest) && 'workspaces' in (JSON.parse(fs.readFileSync(manifest, 'utf8')) as object)) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json with "workspaces" above ${from}`);
  }
}

const ROOT = repoRoot();

export interface AppProcess {
  proc: ChildProcess;
  /** Everything it wrote so far (stdout and stderr). */
  output(): string;
  /** Its log lines that parse as JSON. */
  logs(): Record<string, unknown>[];
  /** Resolves with the exit code once it exited. */
  exited: Promise<number | null>;
  alive(): boolean;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Runs an app's entry point (`services/api/src/main.ts`…, relative to the repository's root) from its sources as its own process, as `npm start` would. */
export function spawnApp(entry: string, env: Record<string, string>): AppProcess {
  const proc = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, entry)], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const append = (chunk: Buffer) => (log = (log + chunk.toString()).slice(-500_000));
  proc.stdout!.on('data', append);
  proc.stderr!.on('data', append);
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return {
    proc,
    output: () => log,
    logs: () =>
      log.split('\n').flatMap((line) => {
        try {
          return [JSON.parse(line) as Record<string, unknown>];
        } catch {
          return [];
        }
      }),
    exited,
    alive: () => proc.exitCode === null && proc.signalCode === null,
    async kill(signal: NodeJS.Signals = 'SIGKILL') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
}

/** GET `url` as JSON: its status and body, or status 0 while nothing answers there (a process still starting). */
export function probe(url: string): Promise<{ status: number; body: Record<string, any> | null }> {
  return fetch(url).then(
    async (r) => ({ status: r.status, body: (await r.json().catch(() => null)) as Record<string, any> | null }),
    () => ({ status: 0, body: null }),
  );
}
