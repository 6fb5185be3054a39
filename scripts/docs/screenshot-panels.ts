/**
 * Renders the Grafana dashboard's queries (charts/userforge/files/grafana-dashboard.json) on
 * Prometheus' own graph page in headless Chromium and saves a full-page screenshot: a picture of
 * the panels for the docs where no Grafana runs.
 *
 *   npx tsx scripts/docs/screenshot-panels.ts [--prometheus URL] [--range 15m] [--out FILE]
 *   npx tsx scripts/docs/screenshot-panels.ts --isolated [--users 30000]
 *
 * Without --isolated it reads the local stack's Prometheus (`npm run stack:up`). With --isolated it
 * starts its own MongoDB, Redis, Kafka and Prometheus on free ports, an API and a consumer, runs one
 * generation job, takes the picture and stops everything.
 */
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { loadApiConfig } from '../../services/api/src/config';
import { start as startApi } from '../../services/api/src/main';
import { loadConsumerConfig } from '../../services/consumer/src/config';
import { start as startConsumer } from '../../services/consumer/src/main';
import { isolatedSettings, startIsolatedStack, serverDefs, REPO_ROOT, loadStackSettings, down, up } from '@userforge/devstack';

const DASHBOARD = path.join(REPO_ROOT, 'charts', 'userforge', 'files', 'grafana-dashboard.json');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

interface Panel {
  type: string;
  title: string;
  targets?: { expr: string }[];
  panels?: Panel[];
}

/** Every query of the dashboard, with its panel's title and Grafana's interval variables filled in. */
function dashboardQueries(range: string): { title: string; expr: string }[] {
  const d = JSON.parse(fs.readFileSync(DASHBOARD, 'utf8')) as { panels: Panel[] };
  const panels = d.panels.flatMap((p) => (p.type === 'row' ? (p.panels ?? []) : [p]));
  return panels.flatMap((p) => (p.targets ?? []).map((t) => ({ title: p.title, expr: t.expr.replaceAll('$__rate_interval', '30s').replaceAll('$__range', range) })));
}

/** Prometheus' graph page for one query (the classic UI Debian ships reads only simple expressions from a multi-graph URL). */
const graphUrl = (prometheus: string, expr: string, range: string) => `${prometheus}/graph?g0.expr=${encodeURIComponent(expr)}&g0.tab=0&g0.stacked=0&g0.range_input=${range}`;

async function screenshot(prometheus: string, range: string, out: string, skip: (expr: string) => boolean = () => false): Promise<void> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  try {
    const page = await browser.newPage({ viewport: { width: 900, height: 700 } });
    const queries = dashboardQueries(range).filter((q) => !skip(q.expr));
    const shots: string[] = [];
    for (const q of queries) {
      await page.goto(graphUrl(prometheus, q.expr, range), { waitUntil: 'networkidle' });
      // The graph is drawn as soon as its query answers: once the network is quiet, give drawing a moment.
      await page.waitForTimeout(500);
      const png = await page.locator('.graph_container').first().screenshot();
      shots.push(`<figure><figcaption><b>${escapeHtml(q.title)}</b><code>${escapeHtml(q.expr)}</code></figcaption><img src="data:image/png;base64,${png.toString('base64')}"></figure>`);
    }
    // One picture: the graphs two by two, each under its panel title and query.
    await page.setViewportSize({ width: 1800, height: 900 });
    await page.setContent(
      `<style>body{font:13px sans-serif;margin:12px;display:grid;grid-template-columns:1fr 1fr;gap:12px}figure{margin:0}figcaption{display:flex;flex-direction:column;gap:2px;margin-bottom:4px}code{font-size:11px;color:#555}img{width:100%}</style>${shots.join('')}`,
    );
    fs.mkdirSync(path.dirname(out), { recursive: true });
    await page.screenshot({ path: out, fullPage: true });
    console.log(`wrote ${path.relative(REPO_ROOT, out)} (${queries.length} queries over ${range})`);
  } finally {
    await browser.close();
  }
}

const escapeHtml = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/** Own servers and apps, one job, then the picture; everything stopped afterwards. */
async function isolated(users: number, range: string, out: string): Promise<void> {
  const settings = await isolatedSettings('panels');
  const stack = await startIsolatedStack(settings, ['mongo', 'redis', 'kafka']);
  const common = { ...stack.env, LOG_LEVEL: 'silent' };
  const api = await startApi(loadApiConfig({ ...common, PORT: '0', HOST: '127.0.0.1' }));
  const consumer = await startConsumer(loadConsumerConfig({ ...common, METRICS_PORT: '0' }));
  const prometheus = serverDefs(settings, ['prometheus'], { api: [`127.0.0.1:${api.port}`], consumer: [`127.0.0.1:${consumer.metricsPort}`] });
  try {
    await up(settings, prometheus);
    const base = `http://127.0.0.1:${settings.USERFORGE_PROMETHEUS_PORT}`;
    await new Promise((r) => setTimeout(r, 15_000)); // a baseline of a few scrapes
    const res = await fetch(`http://127.0.0.1:${api.port}/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ count: users }) });
    const job = (await res.json()) as { id: string };
    for (let state = ''; state !== 'succeeded'; ) {
      await new Promise((r) => setTimeout(r, 1000));
      state = ((await (await fetch(`http://127.0.0.1:${api.port}/v1/jobs/${job.id}`)).json()) as { state: string }).state;
      if (state === 'failed' || state === 'cancelled') throw new Error(`the job ended ${state}`);
    }
    await new Promise((r) => setTimeout(r, 20_000)); // the rates come down again on screen
    // No operator runs here (it needs a Kubernetes API): its panels are left out of the picture.
    await screenshot(base, range, out, (e) => e.includes('app="operator"'));
  } finally {
    await down(settings, prometheus);
    await consumer.stop();
    await api.stop();
    await stack.stop();
  }
}

async function main(): Promise<void> {
  const range = arg('range', '3m');
  const out = path.resolve(arg('out', path.join(REPO_ROOT, 'docs', 'images', 'prometheus-panels.png')));
  if (process.argv.includes('--isolated')) return isolated(Number(arg('users', '30000')), range, out);
  const prometheus = arg('prometheus', `http://127.0.0.1:${loadStackSettings().USERFORGE_PROMETHEUS_PORT}`);
  return screenshot(prometheus, range, out);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
