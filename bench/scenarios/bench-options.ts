import { z } from 'zod';
import { commaList, parseCli } from '../cli';

export const scenarioNames = ['fresh-load', 'resync', 'trickle', 'limits', 'baseline'] as const;
export type ScenarioName = (typeof scenarioNames)[number];

export const benchUsage = `npm run bench -- [options]
  --records N              records of scenario 1 (default 100000), half customers, half products
  --baseline-records K     records the per-record baseline runs on (default min(N, 5000))
  --trickle-intervals I    poll intervals of scenario 3 (default 5)
  --tick-ms MS             local length of one scheduled minute (default 1000)
  --merge-concurrency C    merge-consumer execution environments (default: the runtime's, 3)
  --seed S                 data set seed (default 42)
  --jvm PROFILE            DynamoDB Local and S3Mock JVM tuning: throughput (default: full JIT)
                           or quick-start (C1 only, what the tests and npm start use)
  --only LIST              comma-separated: ${scenarioNames.join(',')} (default all;
                           fresh-load always runs: every other scenario uses its data)
  --out-dir DIR            where bench-<timestamp>.json goes (default bench/results)`;

const positiveInt = (name: string) =>
  z.coerce
    .number({ error: `--${name} must be a number` })
    .int(`--${name} must be a whole number`)
    .positive(`--${name} must be positive`);

const onlyTakes = `--only takes ${scenarioNames.join(', ')}`;
const OptionsSchema = z.strictObject({
  records: positiveInt('records').min(10, '--records must be at least 10').default(100_000),
  'baseline-records': positiveInt('baseline-records').default(5_000),
  'trickle-intervals': positiveInt('trickle-intervals').default(5),
  'tick-ms': positiveInt('tick-ms').min(100, '--tick-ms must be at least 100').default(1_000),
  'merge-concurrency': positiveInt('merge-concurrency').max(16).optional(),
  seed: z.coerce.number({ error: '--seed must be a number' }).int().default(42),
  jvm: z
    .enum(['throughput', 'quick-start'], { error: '--jvm takes throughput or quick-start' })
    .default('throughput'),
  only: z
    .string()
    .transform(commaList)
    .pipe(
      z
        .array(
          z.enum(scenarioNames, { error: (issue) => `${onlyTakes}; got ${String(issue.input)}` }),
        )
        .min(1, `${onlyTakes}; got nothing`),
    )
    .default([...scenarioNames]),
  'out-dir': z.string().min(1).default('bench/results'),
});

export type BenchSettings = ReturnType<typeof parseBenchOptions>;

export function parseBenchOptions(args: readonly string[]) {
  const options = parseCli(args, OptionsSchema, benchUsage);
  return {
    records: options.records,
    baselineRecords: Math.min(options['baseline-records'], options.records),
    trickleIntervals: options['trickle-intervals'],
    tickMs: options['tick-ms'],
    mergeConcurrency: options['merge-concurrency'],
    seed: options.seed,
    jvm: options.jvm,
    only: scenarioNames.filter((name) => name === 'fresh-load' || options.only.includes(name)),
    outDir: options['out-dir'],
  };
}
