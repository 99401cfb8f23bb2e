/**
 * `npm run capacity -- --records-per-second 50000 [--results bench/results]`: what the AWS
 * deployment needs at that rate, from the per-record costs a bench run measured (the newest
 * bench-*.json in --results, else measured-defaults.json) and AWS's documented quotas
 * (bench/capacity/plan.ts); names the first quota reached and the knob that lifts it.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { formatNumber, formatUsd, parseCli, table } from '../cli';
import type { BenchResult } from '../report/bench-result';
import type { CapacityPlan, PerRecordCosts } from './plan';
import { capacityPlan, perRecordCosts } from './plan';

const defaultsFile = new URL('./measured-defaults.json', import.meta.url);

const ArgsSchema = z.strictObject({
  'records-per-second': z.coerce.number().positive('--records-per-second must be positive'),
  results: z.string().default('bench/results'),
});
const usage = 'npm run capacity -- --records-per-second N [--results DIR]';

/** The newest bench result with a fresh load, else the committed defaults. */
function loadCosts(resultsDir: string): PerRecordCosts {
  // No results directory on a fresh clone.
  const files = existsSync(resultsDir) ? readdirSync(resultsDir) : [];
  for (const file of files
    .filter((f) => /^bench-.*\.json$/.test(f))
    .sort()
    .reverse()) {
    const path = join(resultsDir, file);
    const result = JSON.parse(readFileSync(path, 'utf8')) as BenchResult;
    if (result.scenarios.freshLoad?.dynamodbUnits && result.cost)
      return perRecordCosts(result, path);
  }
  return JSON.parse(readFileSync(defaultsFile, 'utf8')) as PerRecordCosts;
}

const number = (value: number): string =>
  !Number.isFinite(value)
    ? '∞'
    : value >= 100 || Number.isInteger(value)
      ? formatNumber(value)
      : formatNumber(value, 2);

export function renderPlan(plan: CapacityPlan): string {
  const { firstLimit, monthly } = plan;
  return [
    `Capacity plan at ${formatNumber(plan.recordsPerSecond)} records/s (per-record costs from ${plan.costs.source})`,
    table(
      ['Item', 'Needs', 'Quota', 'Used', 'Reached at records/s', 'Source'],
      plan.lines.map((l) => [
        l.item,
        `${number(l.need)} ${l.unit}`,
        l.quota === undefined ? '—' : number(l.quota),
        l.utilization === undefined ? '—' : `${formatNumber(l.utilization * 100, 1)} %`,
        l.limitRecordsPerSecond === undefined ? '—' : number(l.limitRecordsPerSecond),
        l.source ?? '',
      ]),
    ),
    `First limit hit: ${firstLimit.item} at ${number(firstLimit.limitRecordsPerSecond ?? Infinity)} records/s` +
      `${(firstLimit.utilization ?? 0) >= 1 ? ' (exceeded at this rate)' : ''}; knob: ${firstLimit.knob}.`,
    `Monthly cost (730 h): ${formatUsd(monthly.totalUsd)} = ${formatUsd(monthly.perRecordUsd)} per-record ` +
      `(${formatUsd(plan.costs.usdPerMillionRecords)} per million) + ${formatUsd(monthly.fixedUsd)} MSK Serverless cluster and ${monthly.partitions} partitions.`,
  ].join('\n\n');
}

try {
  const args = parseCli(process.argv.slice(2), ArgsSchema, usage);
  const costs = loadCosts(args.results);
  console.log(renderPlan(capacityPlan(args['records-per-second'], costs)));
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(2);
}
