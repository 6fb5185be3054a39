/**
 * schemathesis (the API fuzzer run by test/fuzz/schemathesis.test.ts) in a Python virtual environment
 * in the userforge cache, keyed by version like the Kafka jars and the FerretDB binary: created once,
 * reused by every later run and every checkout. `tsx scripts/fuzz/provision.ts` provisions it alone.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { loadStackSettings } from '../stack/settings';

export const SCHEMATHESIS_VERSION = '4.32.5';

export class FuzzProvisionError extends Error {}

function schemathesisHome(cacheDir: string) {
  const home = path.join(cacheDir, `schemathesis-${SCHEMATHESIS_VERSION}`);
  const venv = path.join(home, 'venv');
  return { home, venv, bin: path.join(venv, 'bin', 'schemathesis'), marker: path.join(home, '.complete') };
}

function run(what: string, cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) {
    const out = `${r.stderr ?? ''}${r.stdout ?? ''}`.slice(-2000) || String(r.error ?? '');
    throw new FuzzProvisionError(`${what} failed (exit ${r.status}):\n${out}`);
  }
}

/** The schemathesis binary, installing it first when the cached environment is missing or incomplete. */
export function provisionSchemathesis(log: (m: string) => void = () => {}, cacheDir = loadStackSettings().USERFORGE_CACHE_DIR): string {
  const { home, venv, bin, marker } = schemathesisHome(cacheDir);
  if (fs.existsSync(marker) && fs.existsSync(bin)) return bin;
  log(`installing schemathesis ${SCHEMATHESIS_VERSION} into ${venv} (first run only)`);
  // A half-built environment from an interrupted run is rebuilt from scratch.
  fs.rmSync(home, { recursive: true, force: true });
  fs.mkdirSync(home, { recursive: true });
  run('python3 -m venv (Debian: install python3 and python3-venv)', 'python3', ['-m', 'venv', venv]);
  run(`pip install schemathesis==${SCHEMATHESIS_VERSION}`, path.join(venv, 'bin', 'python'), [
    '-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', `schemathesis==${SCHEMATHESIS_VERSION}`,
  ]);
  run('schemathesis --version', bin, ['--version']);
  fs.writeFileSync(marker, new Date().toISOString());
  return bin;
}

export function provisionSchemathesisCli(): void {
  const log = (m: string) => console.log(`[fuzz] ${m}`);
  try {
    const bin = provisionSchemathesis(log);
    log(`schemathesis ${SCHEMATHESIS_VERSION} ready: ${bin}`);
  } catch (err) {
    console.error(`[fuzz] error: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}
