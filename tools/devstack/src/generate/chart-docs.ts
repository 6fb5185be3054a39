/**
 * Writes charts/userforge/README.md from README.md.gotmpl and the `# --` comments of values.yaml
 * with helm-docs (`npm run chart:docs`); test/chart/docs.test.ts fails when the committed README is stale.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { toolHome } from '../kube/tools';
import { REPO_ROOT, loadStackSettings } from '../stack/settings';

export const CHARTS_DIR = path.join(REPO_ROOT, 'charts');
export const CHART_README = path.join(CHARTS_DIR, 'userforge', 'README.md');

/**
 * helm-docs' arguments. Values are listed in the file's order (grouped by component, as
 * values.yaml is) rather than alphabetically; `dryRun` prints the README instead of writing it.
 */
export function helmDocsArgs(chartsDir: string, { dryRun = false } = {}): string[] {
  return [
    '--chart-search-root',
    chartsDir,
    '--chart-to-generate',
    path.join(chartsDir, 'userforge'),
    '--template-files',
    'README.md.gotmpl',
    '--sort-values-order',
    'file',
    '--log-level',
    'warning',
    ...(dryRun ? ['--dry-run'] : []),
  ];
}

/** The helm-docs binary `stack:provision -- --kube` builds; missing, an error says how to get it. */
export function helmDocsBinary(): string {
  const { bin, version } = toolHome(loadStackSettings(), 'helm-docs');
  if (!fs.existsSync(bin)) {
    throw new Error(
      `helm-docs v${version} is not built: ${bin} is missing. Build it with ` +
        '`npm run stack:provision -- --kube` (scripts/bootstrap.sh does).',
    );
  }
  return bin;
}

/** Runs helm-docs on a charts directory; returns its stdout (the README itself with `dryRun`). */
export function runHelmDocs(chartsDir: string, options: { dryRun?: boolean } = {}): string {
  const r = spawnSync(helmDocsBinary(), helmDocsArgs(chartsDir, options), { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`helm-docs failed (${r.status ?? r.signal}):\n${r.stderr}${r.error ?? ''}`);
  // helm-docs skips a chart it cannot parse with only a warning; treat that as the failure it is.
  if (/level=(warning|error)/.test(r.stderr)) throw new Error(`helm-docs could not document the chart:\n${r.stderr}`);
  return r.stdout;
}

export function writeChartReadme(): void {
  runHelmDocs(CHARTS_DIR);
  console.log(`wrote ${path.relative(process.cwd(), CHART_README)}`);
}
