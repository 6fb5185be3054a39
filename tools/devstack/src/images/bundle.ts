/**
 * The production build: the Dockerfile's `userforge:bundle` command (the one source of truth), run
 * here for `npm run build`, the image tests and the operator benchmark. Each app becomes one
 * dist/<app>.js that plain `node` runs (workspace packages compiled in, npm packages external).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../stack/settings';


/** The esbuild arguments of the Dockerfile's RUN line after the `userforge:bundle` marker, writing into `outDir`. */
export function bundleCommand(outDir: string): string[] {
  const lines = fs.readFileSync(path.join(REPO_ROOT, 'Dockerfile'), 'utf8').split('\n');
  const marker = lines.findIndex((l) => l.includes('userforge:bundle'));
  const run = lines[marker + 1];
  if (marker < 0 || !run?.startsWith('RUN npx esbuild ')) throw new Error('the Dockerfile has no `RUN npx esbuild` line after its `userforge:bundle` marker');
  const args = run.slice('RUN npx esbuild '.length).trim().split(/\s+/);
  return args.map((a) => (a.startsWith('--outdir=') ? `--outdir=${outDir}` : a.startsWith('--metafile=') ? `--metafile=${path.join(outDir, 'meta.json')}` : a));
}

/** Bundles every app into `outDir`; throws with esbuild's message when it fails. */
export function bundle(outDir: string): void {
  const r = spawnSync(path.join(REPO_ROOT, 'node_modules', '.bin', 'esbuild'), bundleCommand(outDir), { cwd: REPO_ROOT, encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`the bundle command failed:\n${r.stderr}`);
}

export function bundleCli(): void {
  const out = path.join(REPO_ROOT, 'dist');
  bundle(out);
  console.log(`bundled ${fs.readdirSync(out).filter((f) => f.endsWith('.js')).join(', ')} into dist/`);
}
