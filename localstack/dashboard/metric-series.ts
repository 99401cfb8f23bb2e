import { parseEmfLine } from '../runtime/emf';

/** One time bucket of one metric: the sum and number of the values the handlers emitted in it. */
export interface MetricPoint {
  /** Bucket start, epoch ms. */
  t: number;
  sum: number;
  samples: number;
  max: number;
}

export interface MetricSeriesSnapshot {
  bucketMs: number;
  /** Running totals since start, per metric. */
  totals: Record<string, { sum: number; samples: number }>;
  /** Points per metric, oldest first; buckets without data are absent. */
  series: Record<string, MetricPoint[]>;
}

/**
 * Time series per metric from the handlers' EMF lines, bucketed like a CloudWatch period (a few
 * seconds locally instead of a minute). Bounded: only the newest `maxBuckets` buckets are kept.
 */
export class MetricSeries {
  private readonly series = new Map<string, MetricPoint[]>();
  private readonly totals = new Map<string, { sum: number; samples: number }>();

  constructor(
    readonly bucketMs = 5_000,
    private readonly maxBuckets = 720,
  ) {}

  /** Returns true when the line was an EMF document. */
  observe(text: string, now = Date.now()): boolean {
    const data = parseEmfLine(text);
    if (!data) return false;
    const t = now - (now % this.bucketMs);
    for (const datum of data) {
      const points = this.series.get(datum.name) ?? [];
      let last = points.at(-1);
      if (!last || last.t !== t) {
        last = { t, sum: 0, samples: 0, max: Number.NEGATIVE_INFINITY };
        points.push(last);
        if (points.length > this.maxBuckets) points.shift();
      }
      last.sum += datum.value;
      last.samples += datum.count;
      last.max = Math.max(last.max, datum.count > 0 ? datum.value / datum.count : datum.value);
      this.series.set(datum.name, points);
      const total = this.totals.get(datum.name) ?? { sum: 0, samples: 0 };
      total.sum += datum.value;
      total.samples += datum.count;
      this.totals.set(datum.name, total);
    }
    return true;
  }

  snapshot(sinceMs = 0): MetricSeriesSnapshot {
    return {
      bucketMs: this.bucketMs,
      totals: Object.fromEntries([...this.totals].map(([name, total]) => [name, { ...total }])),
      series: Object.fromEntries(
        [...this.series].map(([name, points]) => [
          name,
          points.filter((point) => point.t >= sinceMs).map((point) => ({ ...point })),
        ]),
      ),
    };
  }
}
