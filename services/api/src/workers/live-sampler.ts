import type { SeriesPoint, SeriesView } from '@userforge/contracts';
import { periodicWorker, type Logger, type Worker } from '@userforge/platform';

/**
 * The API's own live series, for when no Prometheus is configured: every sample holds the
 * stored-user total and the chunks waiting in active jobs, and the last `keep` samples are kept.
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

/** The `live-sampler` worker: every 5 s adds the stored-user total and the chunks still waiting to `series`. */
export function liveSampler(series: LiveSeries, read: () => Promise<{ users: number; waitingChunks: number }>, logger: Logger): Worker {
  return periodicWorker(
    'live-sampler',
    5_000,
    async () => {
      const { users, waitingChunks } = await read();
      series.add(Date.now(), users, waitingChunks);
    },
    logger,
  );
}
