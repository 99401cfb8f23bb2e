/**
 * `npm start [-- --records N --until-drained …]`: the local stack and `startPipeline()`, until
 * Ctrl-C or drained (options: `OptionsSchema`; localstack/runtime/README.md).
 */
import { z } from 'zod';
import { parseCli } from '../bench/cli';
import { checkDelivery } from '../bench/harness/delivery-check';
import { entityNames } from '../lambdas/mock-apis/dataset';
import { metricNames } from '../lambdas/shared/pipeline';
import { removeRuntimeInfo, writeRuntimeInfo } from './ops/commands';
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
  /** With --until-drained: % of the records soft-deleted once the full sync is delivered. */
  delete: z.coerce.number().min(0).max(100).default(0),
  'dashboard-port': z.coerce.number().int().min(0).max(65_535).default(0),
});

const { recordsPublished, recordsDuplicate, recordsStaged, recordsDelivered } = metricNames;
const summaryMetrics = [recordsPublished, recordsDuplicate, recordsStaged, recordsDelivered];
const say = (line: string): void => console.log(`[start] ${line}`);

async function run(options: z.infer<typeof OptionsSchema>, interruption: Promise<'interrupted'>) {
  const expectedRecords = options['until-drained'] ? options.records : undefined;
  const stack = await startLocalStack({ log: (line) => say(`stack: ${line}`) });
  try {
    say(`stack up: ${formatTimings(stack.timings)}`);
    // 2/3 customers, 1/3 products: the CRM is the bigger source in the user's shop.
    const customers = Math.round((options.records * 2) / 3);
    const split = { customers, products: options.records - customers };
    say(
      `records: ${options.records} = ${split.customers} customers (CRM) + ${split.products} products (Inventory)`,
    );
    const pipeline = await startPipeline({
      endpoints: stack.endpoints,
      ...split,
      seed: options.seed,
      tickMs: options['tick-ms'],
      logLevel: options['log-level'],
      mergeConcurrency: options['merge-concurrency'],
      dashboard: { port: options['dashboard-port'], expectedRecords },
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
    const { names, dashboard, runtime, startedAt } = pipeline;
    const terminal = startTerminalProgress({
      metrics: () => runtime.metrics.totals(),
      progress: pipeline.progress,
      startedAt,
      expectedRecords,
    });
    try {
      if (!dashboard) throw new Error('the pipeline started without its dashboard');
      say(
        `provisioned topics ${names.customerTopic}, ${names.productTopic}, ${names.dlqTopic}; tables; bucket ${names.stagingBucket}`,
      );
      say(`mock APIs at ${pipeline.mock.url}`);
      await writeRuntimeInfo({
        dashboardUrl: dashboard.url,
        token: dashboard.token,
        pid: process.pid,
        startedAt: new Date().toISOString(),
      });
      say(`dashboard at ${dashboard.url}`);
      say(
        `functions warm; schedules every ${options['tick-ms']} ms per scheduled minute; ` +
          `merge-consumer mappings on groups ${pipeline.groupId}-<topic>`,
      );
      if (!options['until-drained']) {
        say('running; Ctrl-C to stop');
        await interruption;
        return { summary: [], ok: true };
      }
      // What the source holds: every record, and after the deletes every record but those.
      let holds = options.records;
      const drain = () =>
        Promise.race([
          pipeline.waitUntilDrained({
            accept: (p) => p.stats.uniqueRecords === holds,
            timeoutMs: startedAt + options['timeout-s'] * 1000 - Date.now(),
          }),
          interruption,
        ]).catch(() => 'timeout' as const);
      let outcome = await drain();
      if (typeof outcome === 'object' && options.delete > 0) {
        const { dataset } = pipeline.mock.state;
        const deleted = entityNames.map((entity) => {
          const count = Math.round((dataset.stores[entity].total * options.delete) / 100);
          return dataset.change(entity, count, Date.now(), 'delete').length;
        });
        holds -= deleted.reduce((sum, count) => sum + count, 0);
        say(`full sync delivered; soft-deleted ${deleted.join(' customers + ')} products`);
        outcome = await drain();
      }
      const drained = typeof outcome === 'object';
      const { stats, dlqMessages } =
        typeof outcome === 'object' ? outcome : await pipeline.progress();
      const check = checkDelivery(pipeline.mock.state);
      const elapsedS = (Date.now() - startedAt) / 1000;
      const totals = runtime.metrics.totals();
      const summary = [
        '',
        drained
          ? 'drained'
          : `NOT drained (timeout after ${options['timeout-s']} s or interrupted)`,
        `records: ${options.records} (${split.customers} customers, ${split.products} products)`,
        `elapsed: ${elapsedS.toFixed(1)} s, end-to-end: ${(stats.uniqueRecords / elapsedS).toFixed(0)} records/s`,
        `analytics: ${stats.payloads} payloads, ${stats.uniqueVersions} versions, duplicate payloads ${stats.duplicatePayloads}`,
        `metrics: ${summaryMetrics.map((name) => `${name}=${totals[name]?.sum ?? 0}`).join(', ')}`,
        `deletes: ${check.deletes.received}/${check.deletes.expected}`,
        `delivered: ${stats.uniqueRecords}/${holds} unique records, duplicates: ${stats.duplicateRecords}, dlq: ${dlqMessages}`,
      ];
      // Analytics holds exactly the source's current state: every current version, no deleted record.
      const exact = check.lost === 0 && stats.uniqueRecords === holds;
      return { summary, ok: exact && stats.duplicateRecords === 0 };
    } finally {
      say('shutting down');
      await terminal.stop();
      await removeRuntimeInfo(process.pid);
      await pipeline.stop();
    }
  } finally {
    await stack.stop();
    say('stopped');
  }
}

async function main(): Promise<number> {
  const usage =
    'usage: npm start [-- --records N --until-drained …] (localstack/runtime/README.md)';
  const options = parseCli(process.argv.slice(2), OptionsSchema, usage);
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
    const { summary, ok } = await run(options, interruption);
    for (const line of summary) console.log(line);
    return ok ? 0 : 1;
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
