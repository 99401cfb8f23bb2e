/** `npm run capacity -- --records-per-second N [--results DIR]` (docs/benchmarks.md#capacity-plan). */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { formatNumber, formatUsd, parseCli, table } from '../cli';
import { s3RequestTiers } from '../report/cost';
import type { CapacityPlan, PerRecordCosts } from './plan';
import { capacityPlan, PerRecordCostsSchema } from './plan';

const defaultsFile = new URL('./measured-defaults.json', import.meta.url);

const ArgsSchema = z.strictObject({
  'records-per-second': z.coerce.number().positive('--records-per-second must be positive'),
  results: z.string().default('bench/results'),
});
const usage = 'npm run capacity -- --records-per-second N [--results DIR]';

/** What the plan reads of a bench-*.json; one without a fresh load and a cost does not parse. */
const BenchFileSchema = z.object({
  scenarios: z.object({
    freshLoad: z.object({
      records: z.number().positive(),
      requests: z.object({
        byOperation: z.record(z.string(), z.number()),
        analyticsPosts: z.number(),
      }),
      dynamodbUnits: z.object({ wruPerRecord: z.number(), rruPerRecord: z.number() }),
      kafka: z.object({ bytes: z.number() }),
      lambda: z.array(
        z.object({ functionName: z.string(), invocations: z.number(), billedMs: z.number() }),
      ),
    }),
  }),
  cost: z.object({ usdPerMillionRecords: z.number() }),
});

function perRecordCosts(result: z.output<typeof BenchFileSchema>, source: string): PerRecordCosts {
  const fresh = result.scenarios.freshLoad;
  const { records } = fresh;
  const tiers = s3RequestTiers(fresh.requests.byOperation);
  return {
    source,
    wru: fresh.dynamodbUnits.wruPerRecord,
    rru: fresh.dynamodbUnits.rruPerRecord,
    s3PutTier: tiers.putTier / records,
    s3GetTier: tiers.getTier / records,
    kafkaBytes: fresh.kafka.bytes / records,
    analyticsPosts: fresh.requests.analyticsPosts / records,
    lambda: Object.fromEntries(
      fresh.lambda.map((usage) => [
        usage.functionName,
        {
          invocations: usage.invocations / records,
          meanMs: usage.invocations > 0 ? usage.billedMs / usage.invocations : 0,
        },
      ]),
    ),
    usdPerMillionRecords: result.cost.usdPerMillionRecords,
  };
}

/** The newest bench result with a fresh load, else the committed defaults (a fresh clone has none). */
function loadCosts(resultsDir: string): PerRecordCosts {
  const files = existsSync(resultsDir) ? readdirSync(resultsDir) : [];
  const benchFiles = files.filter((f) => /^bench-.*\.json$/.test(f));
  for (const file of benchFiles.sort().reverse()) {
    const path = join(resultsDir, file);
    const result = BenchFileSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
    if (result.success) return perRecordCosts(result.data, path);
  }
  return PerRecordCostsSchema.parse(JSON.parse(readFileSync(defaultsFile, 'utf8')));
}

const number = (value: number): string => {
  if (!Number.isFinite(value)) return '∞';
  return formatNumber(value, value >= 100 || Number.isInteger(value) ? 0 : 2);
};

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
