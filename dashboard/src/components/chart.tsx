import { useEffect, useRef } from 'react';
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Filler,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartConfiguration,
} from 'chart.js';

// Only what these charts use, so the rest of chart.js is left out of the bundle.
Chart.register(BarController, BarElement, LineController, LineElement, PointElement, CategoryScale, LinearScale, Tooltip, Filler);

const ACCENT = '#2f5fd0';

export interface ChartProps {
  type: 'bar' | 'line';
  labels: string[];
  values: number[];
  /** Name of the series, shown in tooltips. */
  seriesLabel: string;
  /** What the chart shows, for screen readers (a summary of the values is added). */
  description: string;
  /** Horizontal bars, for long category names. */
  horizontal?: boolean;
  height?: number;
}

function summary({ description, labels, values }: ChartProps): string {
  if (labels.length === 0) return `${description}: no data`;
  const items = labels.slice(0, 15).map((label, i) => `${label} ${(values[i] ?? 0).toLocaleString('en-US')}`);
  return `${description}: ${items.join(', ')}${labels.length > 15 ? ', …' : ''}`;
}

function config(props: ChartProps): ChartConfiguration<'bar' | 'line'> {
  const { type, labels, values, seriesLabel, horizontal } = props;
  return {
    type,
    data: {
      labels,
      datasets: [
        {
          label: seriesLabel,
          data: values,
          backgroundColor: type === 'bar' ? ACCENT : 'rgba(47, 95, 208, 0.15)',
          borderColor: ACCENT,
          borderWidth: type === 'bar' ? 0 : 2,
          pointRadius: 0,
          fill: type === 'line',
          tension: 0.25,
        },
      ],
    },
    options: {
      indexAxis: horizontal ? 'y' : 'x',
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      interaction: { mode: 'index', intersect: false },
      plugins: { tooltip: { enabled: true } },
      scales: {
        x: { beginAtZero: true, ticks: { autoSkip: true, maxRotation: 0 } },
        y: { beginAtZero: true, ticks: { autoSkip: !horizontal } },
      },
    },
  };
}

/** A chart.js chart on a canvas; new data updates the existing chart instead of rebuilding it. */
export function ChartView(props: ChartProps) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const chart = useRef<Chart<'bar' | 'line'> | null>(null);
  const { type, horizontal, labels, values } = props;

  useEffect(() => {
    if (!canvas.current) return;
    chart.current = new Chart(canvas.current, config(props));
    return () => {
      chart.current?.destroy();
      chart.current = null;
    };
    // Rebuilt only when the kind of chart changes; data changes are applied by the effect below.
  }, [type, horizontal]);

  useEffect(() => {
    const current = chart.current;
    const dataset = current?.data.datasets[0];
    if (!current || !dataset) return;
    current.data.labels = labels;
    dataset.data = values;
    current.update('none');
  }, [labels, values]);

  return (
    <div className="chart" style={{ height: props.height ?? 260 }}>
      <canvas ref={canvas} role="img" aria-label={summary(props)} />
    </div>
  );
}
