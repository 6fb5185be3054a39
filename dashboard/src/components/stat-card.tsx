import { formatNumber } from './format';

export function StatCard({ testId, label, value }: { testId: string; label: string; value: number | null }) {
  return (
    <div className="card stat" data-testid={testId}>
      <span className="stat-label">{label}</span>
      <span className="stat-value">{value === null ? '—' : formatNumber(value)}</span>
    </div>
  );
}
