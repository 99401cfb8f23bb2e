import { z } from 'zod';

/** The part of a CloudWatch Embedded Metric Format line that names the metrics it carries. */
const EmfLineSchema = z
  .object({
    _aws: z.object({
      Timestamp: z.number(),
      CloudWatchMetrics: z.array(
        z.object({ Namespace: z.string(), Metrics: z.array(z.object({ Name: z.string() })) }),
      ),
    }),
  })
  .loose();

/** Parses one stdout line; `undefined` when it is not an EMF document (a log line, say). */
export function parseEmfLine(text: string) {
  if (!text.includes('"_aws"')) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  const document = EmfLineSchema.safeParse(json).data;
  if (!document) return undefined;
  const data = document._aws.CloudWatchMetrics.flatMap(({ Metrics }) =>
    Metrics.flatMap(({ Name: name }) => {
      // EMF allows an array of values per metric: `value` is their sum, `count` how many.
      const values = [document[name]].flat().filter((v): v is number => typeof v === 'number');
      const value = values.reduce((sum, v) => sum + v, 0);
      return values.length === 0 ? [] : [{ name, value, count: values.length }];
    }),
  );
  return { timestampMs: document._aws.Timestamp, data };
}

export interface MetricTotals {
  /** Sum of all values seen (for Count metrics: the total count). */
  sum: number;
  /** Number of values seen (data points). */
  samples: number;
}

/** One time bucket of one metric: the sum and number of the values the handlers emitted in it. */
export interface MetricPoint extends MetricTotals {
  /** Bucket start, epoch ms. */
  t: number;
  max: number;
}

/**
 * Totals and time series per metric from the handlers' EMF lines, in buckets like a CloudWatch
 * period (seconds locally); only the newest `maxBuckets` are kept.
 */
export class MetricSeries {
  private readonly series = new Map<string, MetricPoint[]>();
  private readonly sums = new Map<string, MetricTotals>();

  constructor(
    readonly bucketMs = 5_000,
    private readonly maxBuckets = 720,
  ) {}

  /** Feed every output line here; returns true when the line was an EMF document. */
  observe(text: string, now = Date.now()): boolean {
    const data = parseEmfLine(text)?.data;
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
      const total = this.get(datum.name);
      total.sum += datum.value;
      total.samples += datum.count;
      this.sums.set(datum.name, total);
    }
    return true;
  }

  get(name: string): MetricTotals {
    return this.sums.get(name) ?? { sum: 0, samples: 0 };
  }

  totals(): Record<string, MetricTotals> {
    return Object.fromEntries([...this.sums].map(([name, total]) => [name, { ...total }]));
  }

  /** Totals, and the points of every metric from `sinceMs` on (oldest first; empty buckets absent). */
  snapshot(sinceMs = 0) {
    return {
      bucketMs: this.bucketMs,
      totals: this.totals(),
      series: Object.fromEntries(
        [...this.series].map(([name, points]) => [
          name,
          points.filter((point) => point.t >= sinceMs).map((point) => ({ ...point })),
        ]),
      ),
    };
  }
}
