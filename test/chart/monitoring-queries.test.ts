/**
 * Every query of the Grafana dashboard and every alert expression, against a real Prometheus (the
 * stack's own `prometheus` server definition, isolated) scraping a real API, consumer and operator
 * started on the test servers, after a generation job through the API and one through a
 * UserGenerationJob. A panel that shows nothing after a job is a broken panel.
 */
import fs from 'node:fs';
import { randomUUID } from 'node:crypto';
import type { JobView } from '@userforge/contracts';
import { loadApiConfig } from '../../services/api/src/config';
import { start as startApi, type RunningApi } from '../../services/api/src/main';
import { loadConsumerConfig } from '../../services/consumer/src/config';
import { start as startConsumer, type RunningConsumer } from '../../services/consumer/src/main';
import { loadOperatorConfig } from '../../operator/src/config';
import { start as startOperator, type RunningOperator } from '../../operator/src/main';
import { aUgj, apply, consumerDeployment, createNamespace, getUgj, installCrd, kubectl, mustOk } from '@userforge/devstack';
import { isolatedSettings, serverDefs, type ProcessDef, type StackSettings, down, up } from '@userforge/devstack';
import { testEnv, testKube, testMongoUrl, json, post, waitUntil } from '@userforge/testkit';
import { alertRules, dashboardQueries, promApi, seriesWithNumbers, withGrafanaVariables } from './monitoring';

jest.setTimeout(300_000);

const ns = `monitoring-q-${process.pid}`;
/** Grafana's $__rate_interval for a 5 s scrape interval is at least 4 scrapes: 30 s leaves room. */
const RATE_INTERVAL = '30s';

let api: RunningApi | undefined;
let consumer: RunningConsumer | undefined;
let operator: RunningOperator | undefined;
let settings: StackSettings | undefined;
let prometheus: ProcessDef[] = [];
let base = '';
/** Unix seconds: just before the jobs started, and once Prometheus had scraped their results. */
let from = 0;
let to = 0;

const instant = async (query: string) => (await promApi(base, 'query', { query })).data?.result ?? [];
const scalar = async (query: string) => Number((await instant(query))[0]?.value?.[1] ?? NaN);

beforeAll(async () => {
  const { REDIS_URL, KAFKA_BROKERS } = testEnv();
  const kube = testKube();
  const common = { MONGO_URL: testMongoUrl('monitoring_queries'), REDIS_URL, KAFKA_BROKERS, LOG_LEVEL: 'silent' };
  api = await startApi(loadApiConfig({ ...common, PORT: '0', HOST: '127.0.0.1' }));
  consumer = await startConsumer(
    loadConsumerConfig({ ...common, METRICS_PORT: '0', KAFKA_GROUP_ID: `monitoring-${randomUUID()}`, KAFKA_EVENTS_GROUP_ID: `monitoring-ev-${randomUUID()}`, KAFKA_SESSION_TIMEOUT_MS: '8000' }),
  );
  await installCrd(kube);
  createNamespace(kube, ns);
  mustOk(apply(kube, consumerDeployment(ns)));
  operator = await startOperator(
    loadOperatorConfig({ ...common, KUBECONFIG: kube.kubeconfig, WATCH_NAMESPACE: ns, CONSUMER_NAMESPACE: ns, LEASE_NAMESPACE: ns, LEASE_DURATION_SECONDS: '4', METRICS_PORT: '0', POD_NAME: 'monitoring-test' }),
  );

  // One Prometheus job per app, named as the local stack names them (tools/devstack/src/stack/apps.ts).
  settings = await isolatedSettings('monitoring');
  const targets = { api: [`127.0.0.1:${api.port}`], consumer: [`127.0.0.1:${consumer.metricsPort}`], operator: [`127.0.0.1:${operator.metricsPort}`] };
  prometheus = serverDefs(settings, ['prometheus'], targets);
  await up(settings, prometheus);
  base = `http://127.0.0.1:${settings.USERFORGE_PROMETHEUS_PORT}`;
  // Every app scraped healthy twice before the jobs: rates then have a baseline.
  await waitUntil(() => scalar('count(count_over_time(up{job=~"api|consumer|operator"}[1m]) >= 2 and up == 1)'), (n) => n === 3, 90_000, 500);

  from = Math.floor(Date.now() / 1000) - 5;
  const created = await json<JobView>(await post(`http://127.0.0.1:${api.port}/v1/jobs`, { count: 2000, chunkSize: 500, seed: 3 }));
  expect(created.status).toBe(202);
  mustOk(apply(kube, aUgj(ns, 'monitored', { count: 1000, seed: 5, chunkSize: 500 })));
  const apiBase = `http://127.0.0.1:${api.port}`;
  await waitUntil(async () => (await json<JobView>(await fetch(`${apiBase}/v1/jobs/${created.body.id}`))).body.state, (s) => s === 'succeeded', 120_000, 250);
  await waitUntil(async () => getUgj(kube, ns, 'monitored')?.status?.state, (s) => s === 'Succeeded', 120_000, 250);
  // Prometheus has seen all 3,000 users, then scrapes every app twice more (5 s apart), so a
  // series born with the jobs' last steps (a reconcile result, say) has the two samples a rate needs.
  await waitUntil(() => scalar('sum(userforge_users_generated_total{app="consumer"})'), (n) => n >= 3000, 60_000, 500);
  const seen = Date.now() / 1000;
  await waitUntil(() => scalar('min(timestamp(up{job=~"api|consumer|operator"}))'), (t) => t > seen + 6, 60_000, 500);
  to = Math.ceil(Date.now() / 1000);
});

afterAll(async () => {
  if (settings) {
    await down(settings, prometheus);
    fs.rmSync(settings.USERFORGE_STACK_DIR, { recursive: true, force: true });
  }
  await operator?.stop();
  await consumer?.stop();
  await api?.stop();
  kubectl(testKube(), ['delete', 'namespace', ns, '--ignore-not-found', '--wait=false']);
});

it('every dashboard query returns data (at least one series with numbers) over the jobs', async () => {
  const queries = dashboardQueries();
  expect(queries.length).toBeGreaterThan(10);
  const empty: string[] = [];
  for (const q of queries) {
    const query = withGrafanaVariables(q.expr, { rateInterval: RATE_INTERVAL, range: `${to - from}s` });
    const answer = await promApi(base, 'query_range', { query, start: String(from), end: String(to), step: '1' });
    expect([q.name, answer.status, answer.error]).toEqual([q.name, 'success', undefined]);
    if (seriesWithNumbers(answer).length === 0) empty.push(`${q.name}: ${query}`);
  }
  expect(empty).toEqual([]);
});

it('the throughput panel saw the jobs’ users being generated, not just a series of zeros', async () => {
  const users = await scalar(`sum(increase(userforge_users_generated_total{app="consumer"}[${to - from}s]))`);
  // increase() extrapolates to the window's edges: a little above 3,000 is expected, below is not.
  expect(users).toBeGreaterThanOrEqual(2900);
});

it('every alert expression is valid for this Prometheus, and the target selector of the alerts matches the local stack’s jobs', async () => {
  for (const rule of alertRules()) {
    const answer = await promApi(base, 'query', { query: rule.expr });
    expect([rule.alert, answer.status, answer.error]).toEqual([rule.alert, 'success', undefined]);
  }
  const targets = await instant('up{job=~"(.+-)?(api|consumer|operator)"}');
  expect(targets.map((s) => [s.metric.job, s.value?.[1]]).sort()).toEqual([
    ['api', '1'],
    ['consumer', '1'],
    ['operator', '1'],
  ]);
  // Nothing is down or failing on this healthy stack: the availability and API alerts stay silent.
  for (const name of ['UserforgeTargetDown', 'UserforgeApiHighErrorRate', 'UserforgeOperatorNoLeader', 'UserforgeJobTerminatingTooLong']) {
    const rule = alertRules().find((r) => r.alert === name)!;
    expect([name, await instant(rule.expr)]).toEqual([name, []]);
  }
});
