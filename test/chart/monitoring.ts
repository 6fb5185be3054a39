/** The chart's monitoring files (alerts, dashboard), promtool, Prometheus' HTTP API and the Prometheus Operator's CRDs, for test/chart/monitoring*.test.ts. */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import yaml from 'js-yaml';
import { goEnv, requireTool, loadStackSettings } from '@userforge/devstack';
import { CHART } from './helm';

export const ALERTS_FILE = path.join(CHART, 'files', 'alerts.yaml');
export const DASHBOARD_FILE = path.join(CHART, 'files', 'grafana-dashboard.json');
export const RULE_TESTS_FILE = path.join(__dirname, 'alerts.test-rules.yaml');

export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export function alertRules(): AlertRule[] {
  const file = yaml.load(fs.readFileSync(ALERTS_FILE, 'utf8')) as { groups: { rules: AlertRule[] }[] };
  return file.groups.flatMap((g) => g.rules);
}

interface Panel {
  title: string;
  type: string;
  datasource?: { type: string; uid: string };
  targets?: { expr: string; refId: string; datasource?: { uid: string } }[];
  panels?: Panel[];
}

export interface Dashboard {
  schemaVersion: number;
  templating: { list: { name: string; type: string; query: string }[] };
  panels: Panel[];
}

export const dashboard = (): Dashboard => JSON.parse(fs.readFileSync(DASHBOARD_FILE, 'utf8')) as Dashboard;

/** Every panel, rows' nested panels included, rows themselves left out. */
export function panels(d: Dashboard = dashboard()): Panel[] {
  return d.panels.flatMap((p) => (p.type === 'row' ? (p.panels ?? []) : [p]));
}

/** Every query of the dashboard, named `<panel title> <refId>`. */
export function dashboardQueries(d: Dashboard = dashboard()): { name: string; expr: string }[] {
  return panels(d).flatMap((p) => (p.targets ?? []).map((t) => ({ name: `${p.title} ${t.refId}`, expr: t.expr })));
}

/** Grafana's interval variables as a Prometheus query needs them (Grafana substitutes them before sending). */
export function withGrafanaVariables(expr: string, vars: { rateInterval: string; range: string }): string {
  return expr.replaceAll('$__rate_interval', vars.rateInterval).replaceAll('$__range', vars.range).replaceAll('$__interval', vars.rateInterval);
}

export function promtool(args: string[], cwd?: string): { code: number; out: string } {
  const bin = requireTool('promtool', 'It comes with Debian\'s prometheus package: run `bash scripts/bootstrap.sh`.');
  const r = spawnSync(bin, args, { encoding: 'utf8', cwd, timeout: 120_000 });
  return { code: r.status ?? 1, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

export interface PromSeries {
  metric: Record<string, string>;
  values?: [number, string][];
  value?: [number, string];
}

export interface PromAnswer {
  status: string;
  error?: string;
  data?: { resultType: string; result: PromSeries[] };
}

/** One call of Prometheus' HTTP query API (`query` or `query_range`). */
export async function promApi(base: string, endpoint: 'query' | 'query_range', params: Record<string, string>): Promise<PromAnswer> {
  const res = await fetch(`${base}/api/v1/${endpoint}`, { method: 'POST', body: new URLSearchParams(params) });
  return (await res.json()) as PromAnswer;
}

/** Series of a range answer that hold at least one number (a histogram quantile over no events is NaN). */
export const seriesWithNumbers = (a: PromAnswer): PromSeries[] =>
  (a.data?.result ?? []).filter((s) => (s.values ?? (s.value ? [s.value] : [])).some(([, v]) => Number.isFinite(Number(v))));

export const PROMETHEUS_OPERATOR_VERSION = 'v0.77.1';

/**
 * The ServiceMonitor and PrometheusRule CRDs as the Prometheus Operator publishes them, from its Go
 * module (example/prometheus-operator-crd/), downloaded once into the cache's module cache.
 */
export function prometheusOperatorCrds(): string[] {
  const s = loadStackSettings();
  const go = requireTool('go', 'Install Go 1.22+; the Prometheus Operator CRDs come from its Go module.');
  const info = JSON.parse(
    execFileSync(go, ['mod', 'download', '-json', `github.com/prometheus-operator/prometheus-operator@${PROMETHEUS_OPERATOR_VERSION}`], {
      encoding: 'utf8',
      cwd: os.tmpdir(),
      env: { ...process.env, ...goEnv(s), GOFLAGS: '-modcacherw' },
    }),
  ) as { Dir?: string; Error?: string };
  if (!info.Dir) throw new Error(`could not download the Prometheus Operator module: ${info.Error ?? 'unknown error'}`);
  return ['servicemonitors', 'prometheusrules'].map((k) => path.join(info.Dir!, 'example', 'prometheus-operator-crd', `monitoring.coreos.com_${k}.yaml`));
}
