import { z } from 'zod';
import type { FunctionHost } from '../../localstack/runtime/function-host';
import { parseEmfLine } from '../../localstack/runtime/emf';

/** One EMF document a function printed: when it was emitted and the metric values it carries. */
export interface EmfSample {
  functionName: string;
  /** The document's `_aws.Timestamp` (set by Powertools when the handler's metrics are flushed). */
  timestampMs: number;
  /** Metric name → sum of its values on the line. */
  values: Record<string, number>;
}

const TimestampSchema = z.object({ _aws: z.object({ Timestamp: z.number() }) });

/**
 * Keeps every EMF line the functions print, with its timestamp: the per-stage rates come from
 * these, the metrics the handlers emit for CloudWatch, rather than from extra probes.
 */
export class EmfRecorder {
  readonly samples: EmfSample[] = [];
  private readonly unsubscribers: Array<() => void> = [];

  constructor(hosts: readonly FunctionHost[]) {
    for (const host of hosts) {
      this.unsubscribers.push(
        host.onOutput((line) => {
          const sample = emfSample(line.functionName, line.text);
          if (sample) this.samples.push(sample);
        }),
      );
    }
  }

  /** Samples of one metric with a non-zero value, oldest first. */
  series(metricName: string, functionName?: string): EmfSample[] {
    return this.samples
      .filter(
        (sample) =>
          (sample.values[metricName] ?? 0) !== 0 &&
          (functionName === undefined || sample.functionName === functionName),
      )
      .sort((a, b) => a.timestampMs - b.timestampMs);
  }

  /** Sum of one metric over the samples emitted at or after `sinceMs`. */
  total(metricName: string, sinceMs = 0): number {
    return this.samples
      .filter((sample) => sample.timestampMs >= sinceMs)
      .reduce((sum, sample) => sum + (sample.values[metricName] ?? 0), 0);
  }

  close(): void {
    for (const unsubscribe of this.unsubscribers) unsubscribe();
  }
}

export function emfSample(functionName: string, text: string): EmfSample | undefined {
  const data = parseEmfLine(text);
  if (!data) return undefined;
  const stamp = TimestampSchema.safeParse(JSON.parse(text));
  if (!stamp.success) return undefined;
  const values: Record<string, number> = {};
  for (const datum of data) values[datum.name] = (values[datum.name] ?? 0) + datum.value;
  return { functionName, timestampMs: stamp.data._aws.Timestamp, values };
}
