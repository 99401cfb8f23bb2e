import type { BaselineResult } from '../baseline/per-record-consumer';
import type { MachineInfo } from '../cli';
import type { RawDynamoResult } from '../limits/raw-dynamodb';
import type { FreshLoadResult } from '../scenarios/fresh-load';
import type { ResyncResult } from '../scenarios/resync';
import type { BenchSettings, ScenarioName } from '../scenarios/bench-options';
import type { TrickleResult } from '../scenarios/trickle';
import type { AwsPrices, CostEstimate } from './cost';

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
  errors: Array<{ scenario: ScenarioName; message: string }>;
}

/** The JSON's top-level `summary` (docs/benchmarks.md); a figure is null when its scenario did not run. */
export type BenchSummary = ReturnType<typeof summarize>;

export function summarize(scenarios: BenchResult['scenarios'], cost: CostEstimate | undefined) {
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
