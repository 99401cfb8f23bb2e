import type { StackEndpoints } from '../../localstack/stack/endpoints';
import type { BaselineResult } from '../baseline/per-record-consumer';
import { runPerRecordBaseline } from '../baseline/per-record-consumer';

export interface BaselineOptions {
  endpoints: StackEndpoints;
  /** Scenario 1's source topics: the baseline reads the first `records` of the same data. */
  topics: string[];
  records: number;
  timeoutMs: number;
}

export interface BaselineScenarioResult extends BaselineResult {
  /** Said in the report: the baseline ran on the first K records, its rate is steady-state. */
  note: string;
}

/**
 * Scenario 5: the replaced design (consume one message, check one idempotency key, POST it
 * alone), helper B's bench/baseline/per-record-consumer.ts, on the first `records` messages of
 * the topics scenario 1 filled. Slow by design, so it runs on fewer records than scenario 1;
 * a per-record loop's rate does not depend on how many records follow, so it is comparable.
 */
export async function runBaseline(options: BaselineOptions): Promise<BaselineScenarioResult> {
  const result = await runPerRecordBaseline({
    endpoints: options.endpoints,
    topics: options.topics,
    records: options.records,
    timeoutMs: options.timeoutMs,
  });
  return {
    ...result,
    note: `ran on the first ${result.records} records of scenario 1's topics; its records/s is a steady-state per-record rate`,
  };
}
