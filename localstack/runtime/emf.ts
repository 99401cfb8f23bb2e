import { z } from 'zod';
import type { OutputLine } from './function-host';

/** The part of a CloudWatch Embedded Metric Format line that names the metrics it carries. */
const EmfLineSchema = z
  .object({
    _aws: z.object({
      Timestamp: z.number(),
      CloudWatchMetrics: z.array(
        z.object({
          Namespace: z.string(),
          Metrics: z.array(z.object({ Name: z.string(), Unit: z.string().optional() })),
        }),
      ),
    }),
  })
  .loose();

export interface MetricDatum {
  namespace: string;
  name: string;
  unit?: string;
  /** Sum of the values on the line (EMF allows an array of values per metric). */
  value: number;
  /** Number of values on the line. */
  count: number;
}

/** Parses one stdout line; `undefined` when it is not an EMF document (a log line, say). */
export function parseEmfLine(text: string): MetricDatum[] | undefined {
  if (!text.includes('"_aws"')) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = EmfLineSchema.safeParse(json);
  if (!parsed.success) return undefined;
  const document = parsed.data as Record<string, unknown> & z.infer<typeof EmfLineSchema>;
  const data: MetricDatum[] = [];
  for (const directive of document._aws.CloudWatchMetrics) {
    for (const metric of directive.Metrics) {
      const raw = document[metric.Name];
      const values = (Array.isArray(raw) ? raw : [raw]).filter(
        (v): v is number => typeof v === 'number',
      );
      if (values.length === 0) continue;
      data.push({
        namespace: directive.Namespace,
        name: metric.Name,
        ...(metric.Unit === undefined ? {} : { unit: metric.Unit }),
        value: values.reduce((sum, v) => sum + v, 0),
        count: values.length,
      });
    }
  }
  return data;
}

export interface MetricTotals {
  /** Sum of all values seen (for Count metrics: the total count). */
  sum: number;
  /** Number of values seen (data points). */
  samples: number;
}

/** Running totals per metric name from the handlers' EMF lines (the local dashboard's source). */
export class MetricCounters {
  private readonly totals = new Map<string, MetricTotals>();

  /** Feed every output line here; returns true when the line was an EMF document. */
  observe(line: Pick<OutputLine, 'text'>): boolean {
    const data = parseEmfLine(line.text);
    if (!data) return false;
    for (const datum of data) {
      const totals = this.totals.get(datum.name) ?? { sum: 0, samples: 0 };
      totals.sum += datum.value;
      totals.samples += datum.count;
      this.totals.set(datum.name, totals);
    }
    return true;
  }

  get(name: string): MetricTotals {
    return this.totals.get(name) ?? { sum: 0, samples: 0 };
  }

  snapshot(): Record<string, MetricTotals> {
    return Object.fromEntries([...this.totals].map(([name, totals]) => [name, { ...totals }]));
  }
}
