import type { Distribution } from './percentiles';
import type { BenchResult } from './bench-result';
import type { RequestFamily } from './request-summary';
import { formatMs, formatNumber, formatRate, formatUsd, orNa } from './format';
import type { Row } from './table';

export const figureHeaders: Row = ['Scenario', 'Figure', 'Value'];

const familyLabels: Record<RequestFamily, string> = {
  dynamodb: 'DynamoDB',
  s3: 'S3',
  kafkaProduce: 'Kafka Produce',
  kafkaFetch: 'Kafka Fetch',
  kafkaOther: 'Kafka other',
  analyticsPosts: 'Analytics POST',
  sourceGets: 'source GET',
  lambdaInvocations: 'Lambda invocations',
};

function percentiles(d: Distribution): string {
  return `p50 ${formatMs(d.p50)} · p95 ${formatMs(d.p95)} · p99 ${formatMs(d.p99)} · max ${formatMs(d.max)}`;
}

/** The headline figures of every scenario that ran, one row each: the terminal table and the markdown summary. */
export function figureRows(result: BenchResult): Row[] {
  const rows: Row[] = [];
  const { freshLoad, resync, trickle, limits, baseline } = result.scenarios;
  const { summary } = result;
  rows.push(['summary', 'records/s (scenario 1)', orNa(summary.recordsPerSecond, formatRate)]);
  rows.push(['summary', 'ratioToLimit', orNa(summary.ratioToLimit, (v) => v.toFixed(2))]);
  rows.push(['summary', 'ratioToBaseline', orNa(summary.ratioToBaseline, (v) => v.toFixed(1))]);
  rows.push(['summary', 'wruPerNewRecord', orNa(summary.wruPerNewRecord, (v) => v.toFixed(2))]);
  rows.push([
    'summary',
    'wruPerUnchangedRecord',
    orNa(summary.wruPerUnchangedRecord, (v) => v.toFixed(3)),
  ]);
  rows.push([
    'summary',
    'est. AWS cost / 1M records',
    orNa(summary.costPerMillionRecordsUsd, formatUsd),
  ]);

  if (freshLoad) {
    const s = '1 fresh load';
    const d = freshLoad.delivery;
    rows.push([s, 'records', formatNumber(freshLoad.records)]);
    rows.push([
      s,
      'delivered',
      `${formatNumber(d.received)}/${formatNumber(d.expected)} · lost ${d.lost} · duplicated ${d.duplicated}`,
    ]);
    rows.push([
      s,
      'end-to-end',
      `${formatRate(freshLoad.recordsPerSecond)} records/s over ${formatNumber(freshLoad.seconds, 1)} s`,
    ]);
    for (const stage of freshLoad.stages) {
      rows.push([s, `stage: ${stage.stage}`, `${formatRate(stage.recordsPerSecond)} records/s`]);
    }
    rows.push([s, 'latency publish → Analytics', orNa(freshLoad.latencyMs, percentiles)]);
    const memory = freshLoad.peakMemory;
    const units = freshLoad.dynamodbUnits;
    rows.push([
      s,
      'DynamoDB request units',
      `${formatNumber(units.wruPerRecord, 2)} WRU + ${formatNumber(units.rruPerRecord, 2)} RRU per new record (${formatNumber(units.wru)} WRU, ${formatNumber(units.rru)} RRU)`,
    ]);
    const cpu = freshLoad.cpuSecondsPer1000Records;
    rows.push([
      s,
      'CPU s per 1,000 records',
      `${Object.entries(cpu.processes)
        .map(([name, seconds]) => `${name} ${formatNumber(seconds, 2)}`)
        .join(' · ')} (node's function threads: ${Object.entries(cpu.functions)
        .map(([name, seconds]) => `${name} ${formatNumber(seconds, 2)}`)
        .join(', ')})`,
    ]);
    rows.push([
      s,
      'peak RSS',
      `${formatNumber(memory.totalMiB)} MiB (bench ${formatNumber(memory.benchProcessMiB)}; ${Object.entries(
        memory.serversMiB,
      )
        .map(([name, mib]) => `${name} ${formatNumber(mib)}`)
        .join(', ')})`,
    ]);
  }
  if (resync) {
    const s = '2 resync';
    rows.push([
      s,
      'duplicates/s',
      `${formatRate(resync.duplicatesPerSecond)} (${formatNumber(resync.duplicates)} in ${formatNumber(resync.seconds, 1)} s; drained in ${formatNumber(resync.drainSeconds, 1)} s)`,
    ]);
    const units = resync.dynamodbUnits;
    rows.push([
      s,
      'DynamoDB request units',
      `${formatNumber(units.wruPerRecord, 3)} WRU + ${formatNumber(units.rruPerRecord, 3)} RRU per resynced record`,
    ]);
    rows.push([
      s,
      'new at Analytics',
      `${resync.analyticsNewRecords} records, ${resync.analyticsNewPayloads} payloads`,
    ]);
  }
  if (trickle) {
    const s = '3 trickle';
    rows.push([
      s,
      'changes',
      `${formatNumber(trickle.changesPerInterval)} per ${formatMs(trickle.pollIntervalMs)} × ${trickle.intervals} (${trickle.delivered} delivered, ${trickle.superseded} superseded)`,
    ]);
    rows.push([s, 'freshness change → Analytics', orNa(trickle.freshnessMs, percentiles)]);
  }
  if (limits) {
    const s = '4 limits';
    rows.push([
      s,
      'raw Kafka produce+consume',
      `${formatRate(limits.kafka.recordsPerSecond)} records/s (produce ${formatRate(limits.kafka.produceRecordsPerSecond)}, consume ${formatRate(limits.kafka.consumeRecordsPerSecond)})`,
    ]);
    const styleLabels = {
      batchWrite: 'raw DynamoDB BatchWriteItem claims (the limit)',
      batchGet: 'raw DynamoDB BatchGetItem, strongly consistent',
      transactWrite: 'raw DynamoDB TransactWriteItems conditional claims',
    } as const;
    for (const [style, label] of Object.entries(styleLabels) as Array<
      [keyof typeof styleLabels, string]
    >) {
      const run = limits.dynamodb.styles[style];
      const cpu = run.dynamodbCpuSecondsPer1000Items;
      rows.push([
        s,
        label,
        `${formatRate(run.itemsPerSecond)} items/s (${run.itemsPerRequest} per request, concurrency ${run.concurrency} of ${run.byConcurrency.map((level) => level.concurrency).join('/')}${cpu === undefined ? '' : `; DynamoDB Local ${formatNumber(cpu, 2)} CPU s per 1,000 items`})`,
      ]);
    }
  }
  if (baseline) {
    rows.push([
      '5 baseline',
      'per-record consumer',
      `${formatRate(baseline.recordsPerSecond)} records/s on ${formatNumber(baseline.records)} records (steady state)`,
    ]);
  }
  for (const error of result.errors) rows.push([error.scenario, 'FAILED', error.message]);
  return rows;
}

export const requestHeaders: Row = [
  'Requests (counted)',
  'per 1,000 records, fresh load',
  'per record, resync',
];

/** Requests per family: scenario 1 per 1,000 records and scenario 2 per record. */
export function requestRows(result: BenchResult): Row[] {
  const { freshLoad, resync } = result.scenarios;
  if (!freshLoad && !resync) return [];
  return (Object.keys(familyLabels) as RequestFamily[]).map((family) => [
    familyLabels[family],
    freshLoad ? formatNumber(freshLoad.requestsPer1000Records[family], 1) : 'n/a',
    resync ? formatNumber(resync.requestsPerRecord[family], 3) : 'n/a',
  ]);
}
