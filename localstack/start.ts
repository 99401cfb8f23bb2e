/**
 * `npm start`: the whole pipeline offline. Starts the no-Docker stack (Kafka, DynamoDB Local,
 * S3Mock), provisions topics/tables/bucket, serves the mock APIs, and runs the four functions in
 * their own worker threads with the EventBridge schedules and the Kafka event source mapping.
 *
 *   npm start                                   run until Ctrl-C
 *   npm start -- --records 20000 --until-drained   one full sync, exit when delivered
 *
 * Options: --records N (split 2/3 customers, 1/3 products), --seed, --tick-ms (local length of
 * one scheduled minute), --timeout-s (for --until-drained), --log-level (POWERTOOLS_LOG_LEVEL of
 * the functions), --merge-concurrency, --dashboard-port (0 = a free port; the URL is printed and
 * written to .stack/runtime.json for `npm run resync|dlq|invoke`).
 */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { metricNames } from '../lambdas/shared/pipeline';
import { removeRuntimeInfo, writeRuntimeInfo } from './ops/runtime-info';
import type { PipelineProgress } from './start-pipeline';
import { startPipeline } from './start-pipeline';
import { startTerminalProgress } from './terminal-progress';
import { formatTimings, startLocalStack } from './stack/index';

const OptionsSchema = z.object({
  records: z.coerce.number().int().min(3).default(3_000),
  seed: z.coerce.number().int().default(42),
  'tick-ms': z.coerce.number().int().min(100).default(2_000),
  'timeout-s': z.coerce.number().int().positive().default(900),
  'log-level': z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT', 'CRITICAL']).default('WARN'),
  'merge-concurrency': z.coerce.number().int().min(1).max(6).default(3),
  'until-drained': z.boolean().default(false),
  'dashboard-port': z.coerce.number().int().min(0).max(65_535).default(0),
});

function readOptions(): z.infer<typeof OptionsSchema> {
  const { values } = parseArgs({
    options: Object.fromEntries(
      Object.keys(OptionsSchema.shape).map((name) => [
        name,
        { type: name === 'until-drained' ? 'boolean' : 'string' } as const,
      ]),
    ),
    strict: true,
  });
  const parsed = OptionsSchema.safeParse(values);
  if (!parsed.success) throw new Error(`Bad options: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** 2/3 customers, 1/3 products: the CRM is the bigger source in the user's shop. */
function splitRecords(total: number): { customers: number; products: number } {
  const customers = Math.round((total * 2) / 3);
  return { customers, products: total - customers };
}

const say = (line: string): void => console.log(`[start] ${line}`);

async function main(): Promise<number> {
  const options = readOptions();
  const expected = options['until-drained'] ? { expectedRecords: options.records } : {};
  const cleanups: Array<() => Promise<unknown>> = [];
  let shuttingDown: Promise<void> | undefined;
  const shutdown = (): Promise<void> => {
    shuttingDown ??= (async () => {
      say('shutting down');
      for (const cleanup of cleanups.reverse()) {
        try {
          await cleanup();
        } catch (error) {
          console.error('[start] cleanup failed:', error);
        }
      }
      say('stopped');
    })();
    return shuttingDown;
  };
  let onSignal: () => void = () => undefined;
  const interruption = new Promise<'interrupted'>((resolve) => {
    onSignal = () => {
      say('signal received');
      resolve('interrupted');
    };
  });
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    // Checks Node, Java and Maven before anything is downloaded or spawned.
    const stack = await startLocalStack({ log: (line) => say(`stack: ${line}`) });
    cleanups.push(() => stack.stop());
    say(`stack up: ${formatTimings(stack.timings)}`);
    const split = splitRecords(options.records);
    say(
      `records: ${options.records} = ${split.customers} customers (CRM) + ${split.products} products (Inventory)`,
    );
    const run = await startPipeline({
      endpoints: stack.endpoints,
      ...split,
      seed: options.seed,
      tickMs: options['tick-ms'],
      logLevel: options['log-level'],
      mergeConcurrency: options['merge-concurrency'],
      dashboard: { port: options['dashboard-port'], ...expected },
      onOutput: (line, isMetric) => {
        if (isMetric) return;
        const out = line.stream === 'stderr' ? process.stderr : process.stdout;
        out.write(`[${line.functionName}] ${line.text}\n`);
      },
      onSchedule: (outcome) => {
        if (outcome.status === 'failed')
          say(`${outcome.functionName} failed: ${outcome.error.message}`);
      },
    });
    cleanups.push(() => run.stop());
    const { names, dashboard, runtime } = run;
    if (!dashboard) throw new Error('the pipeline started without its dashboard');
    say(
      `provisioned topics ${names.customerTopic}, ${names.productTopic}, ${names.dlqTopic}; tables; bucket ${names.stagingBucket}`,
    );
    say(`mock APIs at ${run.mock.url}`);
    await writeRuntimeInfo({
      dashboardUrl: dashboard.url,
      token: dashboard.token,
      pid: process.pid,
      startedAt: new Date().toISOString(),
    });
    cleanups.push(() => removeRuntimeInfo(process.pid));
    say(`dashboard at ${dashboard.url}`);
    say(
      `functions warm; schedules every ${options['tick-ms']} ms per scheduled minute; ` +
        `merge-consumer mappings on groups ${run.groupId}-<topic>`,
    );
    // TTY: a table redrawn in place; a pipe or CI log: one plain line every 10 s.
    const terminal = startTerminalProgress({
      metrics: () => runtime.metrics.totals(),
      progress: run.progress,
      startedAt: run.startedAt,
      ...expected,
    });
    cleanups.push(() => terminal.stop());

    if (!options['until-drained']) {
      say('running; Ctrl-C to stop');
      await interruption;
      await shutdown();
      return 0;
    }

    const drain = run.waitUntilDrained({
      accept: (p) => p.stats.uniqueRecords >= options.records,
      timeoutMs: run.startedAt + options['timeout-s'] * 1000 - Date.now(),
    });
    const outcome = await Promise.race([drain, interruption]).catch(() => 'timeout' as const);
    const drained = typeof outcome === 'object';
    const last: PipelineProgress = drained ? outcome : await run.progress();
    const elapsedS = (Date.now() - run.startedAt) / 1000;
    const metricTotals = runtime.metrics.totals();
    await shutdown();
    await drain.catch(() => undefined);

    const { stats } = last;
    console.log('');
    console.log(
      drained ? 'drained' : `NOT drained (timeout after ${options['timeout-s']} s or interrupted)`,
    );
    console.log(
      `records: ${options.records} (${split.customers} customers, ${split.products} products)`,
    );
    console.log(
      `elapsed: ${elapsedS.toFixed(1)} s, end-to-end: ${(stats.uniqueRecords / elapsedS).toFixed(0)} records/s`,
    );
    console.log(
      `analytics: ${stats.payloads} payloads, ${stats.uniqueVersions} versions, duplicate payloads ${stats.duplicatePayloads}`,
    );
    const shown = [
      metricNames.recordsPublished,
      metricNames.recordsDuplicate,
      metricNames.recordsStaged,
      metricNames.recordsDelivered,
    ];
    console.log(
      `metrics: ${shown.map((name) => `${name}=${metricTotals[name]?.sum ?? 0}`).join(', ')}`,
    );
    console.log(
      `delivered: ${stats.uniqueRecords}/${options.records} unique records, duplicates: ${stats.duplicateRecords}, dlq: ${last.dlqMessages}`,
    );
    return stats.uniqueRecords === options.records && stats.duplicateRecords === 0 ? 0 : 1;
  } catch (error) {
    await shutdown();
    throw error;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

main().then(
  (code) => {
    process.exitCode = code;
    // Everything is stopped; do not let a lingering client socket keep the demo from exiting.
    setTimeout(() => process.exit(code), 3_000).unref();
  },
  (error: unknown) => {
    console.error('[start] failed:', error instanceof Error ? error.message : error);
    process.exitCode = 1;
  },
);
