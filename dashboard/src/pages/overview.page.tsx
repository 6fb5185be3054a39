import { useMemo } from 'react';
import type { Counted, SeriesPoint, StatsView } from '@userforge/contracts/browser';
import { ChartView } from '../components/chart';
import { ErrorAlert } from '../components/error-alert';
import { formatTime } from '../components/format';
import { StatCard } from '../components/stat-card';
import { useMetricsSeries, useStats } from '../hooks/use-stats';

const CARDS: { testId: string; label: string; value: (s: StatsView) => number }[] = [
  { testId: 'card-total-users', label: 'Total users', value: (s) => s.totalUsers },
  { testId: 'card-total-activity', label: 'Activity events', value: (s) => s.totalActivityEvents },
  { testId: 'card-countries', label: 'Countries', value: (s) => s.countries },
  { testId: 'card-daily-active', label: 'Active today (24 h)', value: (s) => s.activeUsers.daily },
  { testId: 'card-weekly-active', label: 'Active this week (7 d)', value: (s) => s.activeUsers.weekly },
  { testId: 'card-monthly-active', label: 'Active this month (30 d)', value: (s) => s.activeUsers.monthly },
];

const EMPTY: Counted[] = [];

function CountedChart({ title, items, limit = 15, horizontal = false }: { title: string; items: Counted[]; limit?: number; horizontal?: boolean }) {
  const { labels, values } = useMemo(() => {
    const top = items.slice(0, limit);
    return { labels: top.map((i) => i.name || 'unknown'), values: top.map((i) => i.count) };
  }, [items, limit]);
  return (
    <figure className="card chart-card">
      <figcaption>{title}</figcaption>
      {labels.length === 0 ? (
        <p className="muted no-data">No data</p>
      ) : (
        <ChartView type="bar" labels={labels} values={values} seriesLabel="Count" description={title} horizontal={horizontal} height={horizontal ? Math.max(180, labels.length * 22) : 240} />
      )}
    </figure>
  );
}

function SeriesChart({ title, unit, points }: { title: string; unit: string; points: SeriesPoint[] | undefined }) {
  const { labels, values } = useMemo(() => ({ labels: (points ?? []).map((p) => formatTime(p.t)), values: (points ?? []).map((p) => p.value) }), [points]);
  return (
    <figure className="card chart-card">
      <figcaption>{title}</figcaption>
      {labels.length === 0 ? (
        <p className="muted no-data">No data</p>
      ) : (
        <ChartView type="line" labels={labels} values={values} seriesLabel={unit} description={title} />
      )}
    </figure>
  );
}

/** Cards and charts of `/v1/stats` and the metrics time series. */
export function OverviewPage() {
  const { stats, error } = useStats();
  const { series, error: seriesError } = useMetricsSeries();
  const topUsers = useMemo<Counted[]>(() => (stats?.topUsers ?? []).map((u) => ({ name: u.userId, count: u.count })), [stats]);

  return (
    <section className="page" aria-labelledby="overview-heading">
      <h1 id="overview-heading">Overview</h1>
      <ErrorAlert message={error} />
      <div className="cards">
        {CARDS.map((card) => (
          <StatCard key={card.testId} testId={card.testId} label={card.label} value={stats ? card.value(stats) : null} />
        ))}
      </div>
      {stats && <p className="muted small">Statistics computed {new Date(stats.computedAt).toLocaleTimeString('en-US')}</p>}

      <h2>Generation</h2>
      <div className="charts two">
        <SeriesChart title="Generation throughput (users/s)" unit="users/s" points={series?.throughput} />
        <SeriesChart title="Consumer lag" unit="lag" points={series?.lag} />
      </div>
      {seriesError && <p className="muted small">Metrics unavailable: {seriesError}</p>}
      {series && <p className="muted small">Metrics source: {series.source}</p>}

      <h2>Users</h2>
      <div className="charts">
        <CountedChart title="Top 15 countries" items={stats?.topCountries ?? EMPTY} horizontal />
        <CountedChart title="Gender" items={stats?.genders ?? EMPTY} />
        <CountedChart title="Top 15 users by activity" items={topUsers} horizontal />
      </div>

      <h2>Activity</h2>
      <div className="charts three">
        <CountedChart title="Devices" items={stats?.devices ?? EMPTY} />
        <CountedChart title="Browsers" items={stats?.browsers ?? EMPTY} />
        <CountedChart title="Operating systems" items={stats?.os ?? EMPTY} />
      </div>
    </section>
  );
}
