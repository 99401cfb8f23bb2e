import { metricNames } from '../../lambdas/shared/pipeline';
import type { RequestFamily, RequestSummary } from '../report/request-summary';
import { countsSince, requestsPer, summarizeRequests } from '../report/request-summary';
import type { BenchPipeline } from './bench-pipeline';
import type { DynamodbUnits } from './fresh-load';
import { dynamodbUnits } from './fresh-load';

export interface ResyncResult {
  records: number;
  published: number;
  /** RecordsDuplicate counted by merge-consumer during the resync. */
  duplicates: number;
  /** Resync start → the last merge-consumer line that counted duplicates. */
  seconds: number;
  duplicatesPerSecond: number;
  /** Resync start → pipeline drained (lag 0, nothing staged, idle). */
  drainSeconds: number;
  /** Records Analytics received during the resync: must be 0 for unchanged data. */
  analyticsNewRecords: number;
  analyticsNewPayloads: number;
  requests: RequestSummary;
  requestsPerRecord: Record<RequestFamily, number>;
  /** DynamoDB request units of the resync, and per resynced (unchanged) record. */
  dynamodbUnits: DynamodbUnits;
}

/**
 * Scenario 2: both pollers invoked with `{ mode: 'full' }` on the drained run of scenario 1: every
 * record re-published unchanged, every one a duplicate at merge-consumer, nothing new at Analytics.
 */
export async function runResync(options: {
  pipeline: BenchPipeline;
  /** Records at the source (every one is re-published). */
  records: number;
  timeoutMs: number;
}): Promise<ResyncResult> {
  const { pipeline, records } = options;
  const { run, emf } = pipeline;
  const { analytics } = run.mock.state;
  const statsBefore = analytics.getStats();
  const countsBefore = await pipeline.requests();
  const invocationsBefore = pipeline.invocations();
  const startMs = Date.now();
  await Promise.all(
    (['pollCrm', 'pollInventory'] as const).map(async (key) => {
      const result = await run.runtime.invoke(key, { mode: 'full' });
      // 'partial' is fine (the run resumes on schedule); 'failed' means nothing was re-read.
      if ((result as { status?: unknown } | null)?.status === 'failed') {
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
  const invocations = Object.values(countsSince(pipeline.invocations(), invocationsBefore));
  const requests = summarizeRequests(
    countsSince(countsAfter.total, countsBefore.total),
    invocations.reduce((sum, n) => sum + n, 0),
  );
  return {
    records,
    published: emf.total(metricNames.recordsPublished, startMs),
    duplicates,
    seconds,
    duplicatesPerSecond: seconds > 0 ? duplicates / seconds : 0,
    drainSeconds,
    analyticsNewRecords: statsAfter.recordsReceived - statsBefore.recordsReceived,
    analyticsNewPayloads: statsAfter.payloads - statsBefore.payloads,
    requests,
    requestsPerRecord: requestsPer(requests, records, 1),
    dynamodbUnits: dynamodbUnits(requests.byOperation, records),
  };
}
