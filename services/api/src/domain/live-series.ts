/** A point of a time series as the dashboard charts it. */
export interface SeriesPoint {
  t: string;
  value: number;
}

export interface SeriesView {
  source: 'prometheus' | 'api';
  throughput: SeriesPoint[];
  lag: SeriesPoint[];
}

/**
 * The API's own live series, for when no Prometheus is configured: every `everyMs` it samples the
 * stored-user total and the chunks waiting in active jobs, and keeps the last `keep` samples.
 * Throughput is the difference of two totals over the time between them.
 */
export class LiveSeries {
  private samples: { at: number; users: number; waiting: number }[] = [];

  constructor(private readonly keep = 180) {}

  add(at: number, users: number, waiting: number): void {
    this.samples.push({ at, users, waiting });
    if (this.samples.length > this.keep) this.samples.shift();
  }

  view(): SeriesView {
    const throughput: SeriesPoint[] = [];
    for (let i = 1; i < this.samples.length; i++) {
      const a = this.samples[i - 1]!;
      const b = this.samples[i]!;
      const seconds = (b.at - a.at) / 1000;
      throughput.push({ t: new Date(b.at).toISOString(), value: seconds > 0 ? Math.max(0, Math.round((b.users - a.users) / seconds)) : 0 });
    }
    return { source: 'api', throughput, lag: this.samples.map((s) => ({ t: new Date(s.at).toISOString(), value: s.waiting })) };
  }
}

/** Prometheus range-query result (matrix) as points of the first series, or [] when empty. */
export function matrixToPoints(body: unknown): SeriesPoint[] {
  const result = (body as { data?: { result?: { values?: [number, string][] }[] } })?.data?.result ?? [];
  return (result[0]?.values ?? []).map(([t, v]) => ({ t: new Date(t * 1000).toISOString(), value: Math.round(Number(v) * 100) / 100 }));
}
