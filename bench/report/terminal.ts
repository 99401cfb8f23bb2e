import { formatNumber, formatUsd, table } from '../cli';
import type { BenchResult } from './bench-result';
import type { Distribution } from './percentiles';
import { familyLabels, familyNames } from './request-summary';

export function formatRate(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  return Math.abs(value) >= 100 ? formatNumber(value) : value.toPrecision(3);
}

export function formatMs(value: number): string {
  return value >= 10_000 ? `${formatNumber(value / 1000, 1)} s` : `${formatNumber(value)} ms`;
}

const orNa = <T>(value: T | null | undefined, format: (value: T) => string): string =>
  value === null || value === undefined ? 'n/a' : format(value);
const percentiles = (d: Distribution): string =>
  `p50 ${formatMs(d.p50)} · p95 ${formatMs(d.p95)} · p99 ${formatMs(d.p99)} · max ${formatMs(d.max)}`;
const byName = (values: Record<string, number>, digits: number, separator = ' · '): string =>
  Object.entries(values)
    .map(([name, value]) => `${name} ${formatNumber(value, digits)}`)
    .join(separator);

export function figureRows(result: BenchResult): string[][] {
  const { summary } = result;
  const { freshLoad, resync, trickle, limits, baseline } = result.scenarios;
  const fixed = (digits: number) => (v: number) => v.toFixed(digits);
  const rows: string[][] = [];
  const section = (scenario: string, figures: Record<string, string>): void => {
    for (const [figure, value] of Object.entries(figures)) rows.push([scenario, figure, value]);
  };
  section('summary', {
    'records/s (scenario 1)': orNa(summary.recordsPerSecond, formatRate),
    ratioToLimit: orNa(summary.ratioToLimit, fixed(2)),
    ratioToBaseline: orNa(summary.ratioToBaseline, fixed(1)),
    wruPerNewRecord: orNa(summary.wruPerNewRecord, fixed(2)),
    wruPerUnchangedRecord: orNa(summary.wruPerUnchangedRecord, fixed(3)),
    'est. AWS cost / 1M records': orNa(summary.costPerMillionRecordsUsd, formatUsd),
  });
  if (freshLoad) {
    const { delivery: d, dynamodbUnits: units, peakMemory: memory } = freshLoad;
    const cpu = freshLoad.cpuSecondsPer1000Records;
    section('1 fresh load', {
      records: formatNumber(freshLoad.records),
      delivered: `${formatNumber(d.received)}/${formatNumber(d.expected)} · lost ${d.lost} · duplicated ${d.duplicated}`,
      'end-to-end': `${formatRate(freshLoad.recordsPerSecond)} records/s over ${formatNumber(freshLoad.seconds, 1)} s`,
      'latency publish → Analytics': orNa(freshLoad.latencyMs, percentiles),
      'DynamoDB request units': `${formatNumber(units.wruPerRecord, 2)} WRU + ${formatNumber(units.rruPerRecord, 2)} RRU per new record (${formatNumber(units.wru)} WRU, ${formatNumber(units.rru)} RRU)`,
      'CPU s per 1,000 records': `${byName(cpu.processes, 2)} (node's function threads: ${byName(cpu.functions, 2, ', ')})`,
      'peak RSS': `${formatNumber(memory.totalMiB)} MiB (bench ${formatNumber(memory.benchProcessMiB)}; ${byName(memory.serversMiB, 0, ', ')})`,
    });
  }
  if (resync) {
    const units = resync.dynamodbUnits;
    section('2 resync', {
      'duplicates/s': `${formatRate(resync.duplicatesPerSecond)} (${formatNumber(resync.duplicates)} in ${formatNumber(resync.seconds, 1)} s; drained in ${formatNumber(resync.drainSeconds, 1)} s)`,
      'DynamoDB request units': `${formatNumber(units.wruPerRecord, 3)} WRU + ${formatNumber(units.rruPerRecord, 3)} RRU per resynced record`,
      'new at Analytics': `${resync.analyticsNewRecords} records, ${resync.analyticsNewPayloads} payloads`,
    });
  }
  if (trickle) {
    section('3 trickle', {
      changes: `${formatNumber(trickle.changesPerInterval)} per ${formatMs(trickle.pollIntervalMs)} × ${trickle.intervals} (${trickle.delivered} delivered, ${trickle.superseded} superseded)`,
      'freshness change → Analytics': orNa(trickle.freshnessMs, percentiles),
    });
  }
  if (limits) {
    const cpu = limits.dynamodbCpuSecondsPer1000Items;
    const levels = limits.byConcurrency.map((level) => level.concurrency).join('/');
    section('4 limit', {
      'raw DynamoDB BatchWriteItem claims': `${formatRate(limits.itemsPerSecond)} items/s (25 per request, concurrency ${limits.concurrency} of ${levels}${cpu === undefined ? '' : `; DynamoDB Local ${formatNumber(cpu, 2)} CPU s per 1,000 items`})`,
    });
  }
  if (baseline) {
    section('5 baseline', {
      'per-record consumer': `${formatRate(baseline.recordsPerSecond)} records/s on ${formatNumber(baseline.records)} records (steady state)`,
    });
  }
  for (const error of result.errors) rows.push([error.scenario, 'FAILED', error.message]);
  return rows;
}

export function requestRows(result: BenchResult): string[][] {
  const { freshLoad, resync } = result.scenarios;
  return familyNames.map((family) => [
    familyLabels[family],
    freshLoad ? formatNumber(freshLoad.requestsPer1000Records[family], 1) : 'n/a',
    resync ? formatNumber(resync.requestsPerRecord[family], 3) : 'n/a',
  ]);
}

export function terminalReport(result: BenchResult, file: string): string {
  const { machine } = result;
  const requests = ['Requests (counted)', 'per 1,000 records, fresh load', 'per record, resync'];
  return [
    table(['Scenario', 'Figure', 'Value'], figureRows(result)),
    table(requests, requestRows(result), [false, true, true]),
    `machine: ${machine.cpus} CPUs (${machine.cpuModel}), node ${machine.node}, ${machine.java}, commit ${machine.commit.slice(0, 12)}${machine.dirty ? ' (dirty)' : ''}`,
    `written: ${file}`,
  ].join('\n\n');
}
