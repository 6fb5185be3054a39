import { seriesViewSchema, type SeriesPoint, type SeriesView } from '@userforge/contracts';
import { route, type RouteSpec } from './contract/route';
import type { LiveSeries } from '../workers/live-sampler';

const THROUGHPUT = 'sum(rate(userforge_users_generated_total[30s]))';
const LAG = 'sum(userforge_kafka_consumer_lag_messages)';

/** Prometheus range-query result (matrix) as points of the first series, or [] when empty. */
export function matrixToPoints(body: unknown): SeriesPoint[] {
  const result = (body as { data?: { result?: { values?: [number, string][] }[] } })?.data?.result ?? [];
  return (result[0]?.values ?? []).map(([t, v]) => ({ t: new Date(t * 1000).toISOString(), value: Math.round(Number(v) * 100) / 100 }));
}

async function rangeQuery(prometheusUrl: string, query: string, minutes: number) {
  const end = Math.floor(Date.now() / 1000);
  const url = new URL('/api/v1/query_range', prometheusUrl);
  url.search = new URLSearchParams({ query, start: String(end - minutes * 60), end: String(end), step: '5' }).toString();
  const res = await fetch(url, { signal: AbortSignal.timeout(3_000) });
  if (!res.ok) throw new Error(`prometheus answered ${res.status}`);
  return matrixToPoints(await res.json());
}

/**
 * `GET /v1/metrics/series`: generation throughput and consumer lag over the last 15 minutes, from
 * Prometheus when PROMETHEUS_URL is set and answers, else from the API's own samples.
 */
export function seriesRoutes(live: LiveSeries, prometheusUrl: string | undefined): RouteSpec[] {
  return [
    route({
      method: 'get',
      path: '/v1/metrics/series',
      operationId: 'getMetricsSeries',
      tag: 'stats',
      summary: 'Generation throughput and consumer lag over the last 15 minutes',
      responses: { 200: { description: 'Two time series.', schema: seriesViewSchema } },
      errors: [],
      handle: async () => {
        if (prometheusUrl) {
          try {
            const [throughput, lag] = await Promise.all([rangeQuery(prometheusUrl, THROUGHPUT, 15), rangeQuery(prometheusUrl, LAG, 15)]);
            return { status: 200, body: { source: 'prometheus', throughput, lag } satisfies SeriesView };
          } catch {
            // fall back to the API's own series below
          }
        }
        return { status: 200, body: live.view() };
      },
    }),
  ];
}
