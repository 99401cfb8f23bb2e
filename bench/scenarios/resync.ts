import { z } from 'zod';
import { metricNames } from '../../lambdas/shared/pipeline';
import {
  countsSince,
  requestsPer,
  requestUnits,
  summarizeRequests,
} from '../report/request-summary';
import type { BenchPipeline } from './bench-pipeline';

const PollResultSchema = z.looseObject({ status: z.string() });

export type ResyncResult = Awaited<ReturnType<typeof runResync>>;

/** Scenario 2, the resync of unchanged data (docs/benchmarks.md). */
export async function runResync(options: {
  pipeline: BenchPipeline;
  records: number;
  timeoutMs: number;
}) {
  const { pipeline, records } = options;
  const { run, emf } = pipeline;
  const { analytics } = run.mock.state;
  const statsBefore = analytics.getStats();
  const countsBefore = await pipeline.requests();
  const startMs = Date.now();
  await Promise.all(
    (['pollCrm', 'pollInventory'] as const).map(async (key) => {
      const result = await run.runtime.invoke(key, { mode: 'full' });
      // 'partial' is fine (the run resumes on schedule); 'failed' means nothing was re-read.
      if (PollResultSchema.safeParse(result).data?.status === 'failed') {
        throw new Error(`resync: ${key} refused or failed: ${JSON.stringify(result)}`);
      }
    }),
  );
  await run.waitUntilDrained({
    accept: () => emf.total(metricNames.recordsPublished, startMs) >= records,
    timeoutMs: options.timeoutMs,
  });
  const drainSeconds = (Date.now() - startMs) / 1000;
  const duplicates = emf.total(metricNames.recordsDuplicate, startMs);
  const lastDuplicateMs = Math.max(
    startMs,
    ...emf.samples
      .filter((s) => s.timestampMs >= startMs && (s.values[metricNames.recordsDuplicate] ?? 0) > 0)
      .map((s) => s.timestampMs),
  );
  const seconds = (lastDuplicateMs - startMs) / 1000;
  const statsAfter = analytics.getStats();
  const countsAfter = await pipeline.requests();
  const invocations = (counts: typeof countsBefore) =>
    Object.values(counts.invocations).reduce((sum, timings) => sum + timings.length, 0);
  const requests = summarizeRequests(
    countsSince(countsAfter.total, countsBefore.total),
    invocations(countsAfter) - invocations(countsBefore),
  );
  return {
    records,
    published: emf.total(metricNames.recordsPublished, startMs),
    duplicates,
    seconds,
    duplicatesPerSecond: seconds > 0 ? duplicates / seconds : 0,
    drainSeconds,
    /** Must be 0 for unchanged data. */
    analyticsNewRecords: statsAfter.recordsReceived - statsBefore.recordsReceived,
    analyticsNewPayloads: statsAfter.payloads - statsBefore.payloads,
    requests,
    requestsPerRecord: requestsPer(requests, records, 1),
    dynamodbUnits: requestUnits(requests.byOperation, records),
  };
}
