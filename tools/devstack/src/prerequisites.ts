import { spawnSync } from 'node:child_process';

/** A missing prerequisite, or a build that failed, with what to do about it. */
export class ProvisionError extends Error {}

function which(cmd: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** The program's path on PATH; missing, an error that says how to get it. */
export function requireTool(cmd: string, hint: string): string {
  const found = which(cmd);
  if (!found) throw new ProvisionError(`${cmd} not found on PATH. ${hint}`);
  return found;
}
