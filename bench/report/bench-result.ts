import type { BaselineScenarioResult } from '../scenarios/baseline';
import type { FreshLoadResult } from '../scenarios/fresh-load';
import type { LimitsResult } from '../scenarios/limits';
import type { ResyncResult } from '../scenarios/resync';
import type { TrickleResult } from '../scenarios/trickle';
import type { AwsPrices } from './aws-prices';
import type { CostEstimate } from './cost-model';
import type { MachineInfo } from './machine-info';
import type { JvmProfile } from '../../localstack/stack/index';

export const scenarioNames = ['fresh-load', 'resync', 'trickle', 'limits', 'baseline'] as const;
export type ScenarioName = (typeof scenarioNames)[number];

export interface BenchSettings {
  records: number;
  baselineRecords: number;
  trickleIntervals: number;
  tickMs: number;
  mergeConcurrency: number | undefined;
  seed: number;
  /** JVM tuning of DynamoDB Local and S3Mock for the whole run (limits included). */
  jvm: JvmProfile;
  only: ScenarioName[];
  outDir: string;
}

export interface BenchSummary {
  /** Scenario 1 end-to-end records/s; null when scenario 1 did not run. */
  recordsPerSecond: number | null;
  /** Scenario 1 ÷ the lowest stage limit of scenario 4 (Kafka, DynamoDB batched claim writes). */
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
    limits?: LimitsResult;
    baseline?: BaselineScenarioResult;
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
  const pipeline = scenarios.freshLoad?.recordsPerSecond;
  const limit = scenarios.limits?.slowerLimitRecordsPerSecond;
  const baseline = scenarios.baseline?.recordsPerSecond;
  const ratio = (over: number | undefined): number | null =>
    pipeline !== undefined && over !== undefined && over > 0 ? pipeline / over : null;
  return {
    recordsPerSecond: pipeline ?? null,
    ratioToLimit: ratio(limit),
    ratioToBaseline: ratio(baseline),
    wruPerNewRecord: scenarios.freshLoad?.dynamodbUnits.wruPerRecord ?? null,
    wruPerUnchangedRecord: scenarios.resync?.dynamodbUnits.wruPerRecord ?? null,
    lost: scenarios.freshLoad?.delivery.lost ?? null,
    duplicated: scenarios.freshLoad?.delivery.duplicated ?? null,
    costPerMillionRecordsUsd: cost?.usdPerMillionRecords ?? null,
  };
}
