import { describe, expect, it } from 'vitest';
import { MetricSeries } from './emf';

const emf = (values: Record<string, number | number[]>, unit = 'Count'): string =>
  JSON.stringify({
    _aws: {
      Timestamp: 0,
      CloudWatchMetrics: [
        {
          Namespace: 'EcomSync',
          Dimensions: [['service']],
          Metrics: Object.keys(values).map((Name) => ({ Name, Unit: unit })),
        },
      ],
    },
    service: 'poll-crm',
    ...values,
  });

describe('MetricSeries', () => {
  it('sums values per bucket and keeps running totals', () => {
    const series = new MetricSeries(5_000);
    expect(series.observe(emf({ RecordsPublished: 100 }), 10_001)).toBe(true);
    series.observe(emf({ RecordsPublished: 50, PagesFetched: 1 }), 14_999);
    series.observe(emf({ RecordsPublished: [7, 3] }), 15_000);
    const snapshot = series.snapshot();
    expect(snapshot.series.RecordsPublished).toEqual([
      { t: 10_000, sum: 150, samples: 2, max: 100 },
      { t: 15_000, sum: 10, samples: 2, max: 5 },
    ]);
    expect(snapshot.totals.RecordsPublished).toEqual({ sum: 160, samples: 4 });
    expect(snapshot.totals.PagesFetched).toEqual({ sum: 1, samples: 1 });
  });

  it('ignores log lines, and filters points by time', () => {
    const series = new MetricSeries(1_000);
    expect(series.observe('{"level":"INFO","message":"hello"}', 0)).toBe(false);
    series.observe(emf({ RecordsStaged: 1 }), 1_000);
    series.observe(emf({ RecordsStaged: 2 }), 5_000);
    expect(series.snapshot(2_000).series.RecordsStaged).toEqual([
      { t: 5_000, sum: 2, samples: 1, max: 2 },
    ]);
  });

  it('keeps only the newest buckets', () => {
    const series = new MetricSeries(1_000, 3);
    for (let i = 0; i < 5; i += 1) series.observe(emf({ RecordsStaged: i }), i * 1_000);
    expect(series.snapshot().series.RecordsStaged?.map((point) => point.t)).toEqual([
      2_000, 3_000, 4_000,
    ]);
    expect(series.snapshot().totals.RecordsStaged?.sum).toBe(10);
  });
});
