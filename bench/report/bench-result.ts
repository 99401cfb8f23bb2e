import type { BaselineResult } from '../baseline/per-record-consumer';
import type { MachineInfo } from '../cli';
import type { RawDynamoResult } from '../limits/raw-dynamodb';
import type { FreshLoadResult } from '../scenarios/fresh-load';
import type { ResyncResult } from '../scenarios/resync';
import type { BenchSettings, ScenarioName } from '../scenarios/bench-options';
import type { TrickleResult } from '../scenarios/trickle';
import type { AwsPrices, CostEstimate } from './cost';

/** The bench JSON's top-level `summary`; a figure is null when its scenario did not run. */
export interface BenchSummary {
  /** Scenario 1 end-to-end records/s. */
  recordsPerSecond: number | null;
  /** Scenario 1 ÷ scenario 4's claim limit (BatchWriteItem of 25 claims at its best concurrency). */
  ratioToLimit: number | null;
  /** Scenario 1 ÷ the per-record baseline of scenario 5. */
  ratioToBaseline: number | null;
  /** DynamoDB write request units per new record version (scenario 1), measured. */
  wruPerNewRecord: number | null;
  /** DynamoDB write request units per unchanged record re-published by the resync (scenario 2). */
  wruPerUnchangedRecord: number | null;
  lost: number | null;
  duplicated: number | null;
  costPerMillionRecordsUsd: number | null;
  /** Scenario 1's CPU seconds per 1,000 records by process: `node` and each JVM (/proc). */
  cpuSecondsPer1000Records: Record<string, number> | null;
}

export interface BenchResult {
  summary: BenchSummary;
  startedAt: string;
  finishedAt: string;
  machine: MachineInfo;
  options: BenchSettings;
  scenarios: {
    freshLoad?: FreshLoadResult;
    resync?: ResyncResult;
    trickle?: TrickleResult;
    limits?: RawDynamoResult;
    baseline?: BaselineResult;
  };
  cost?: CostEstimate;
  prices: { readOn: string; list: AwsPrices };
  /** Scenario failures (the bench goes on with the next scenario where it can). */
  errors: Array<{ scenario: ScenarioName; message: string }>;
}

export function summarize(
  scenarios: BenchResult['scenarios'],
  cost: CostEstimate | undefined,
): BenchSummary {
  const { freshLoad, resync, limits, baseline } = scenarios;
  const pipeline = freshLoad?.recordsPerSecond;
  const ratio = (over: number | undefined): number | null =>
    pipeline !== undefined && over !== undefined && over > 0 ? pipeline / over : null;
  return {
    recordsPerSecond: pipeline ?? null,
    ratioToLimit: ratio(limits?.claimWritesPerSecond),
    ratioToBaseline: ratio(baseline?.recordsPerSecond),
    wruPerNewRecord: freshLoad?.dynamodbUnits.wruPerRecord ?? null,
    wruPerUnchangedRecord: resync?.dynamodbUnits.wruPerRecord ?? null,
    lost: freshLoad?.delivery.lost ?? null,
    duplicated: freshLoad?.delivery.duplicated ?? null,
    costPerMillionRecordsUsd: cost?.usdPerMillionRecords ?? null,
    cpuSecondsPer1000Records: freshLoad?.cpuSecondsPer1000Records.processes ?? null,
  };
}
