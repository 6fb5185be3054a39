import { matrixToPoints } from '../src/http/series.routes';
import { LiveSeries } from '../src/workers/live-sampler';

describe('live series (pure)', () => {
  it('turns samples of the stored total into users per second, and keeps the last N', () => {
    const live = new LiveSeries(3);
    live.add(0, 0, 5);
    live.add(5_000, 50_000, 4);
    live.add(10_000, 150_000, 0);
    live.add(15_000, 150_000, 0);
    const view = live.view();
    expect(view.source).toBe('api');
    expect(view.throughput.map((p) => p.value)).toEqual([20_000, 0]);
    expect(view.lag.map((p) => p.value)).toEqual([4, 0, 0]);
  });

  it('reads a Prometheus matrix, empty when there is none', () => {
    expect(matrixToPoints({ data: { result: [{ values: [[1_700_000_000, '12.345']] }] } })).toEqual([{ t: '2023-11-14T22:13:20.000Z', value: 12.35 }]);
    expect(matrixToPoints({ data: { result: [] } })).toEqual([]);
    expect(matrixToPoints(null)).toEqual([]);
  });
});
