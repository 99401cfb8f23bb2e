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
import { Logger } from '@aws-lambda-powertools/logger';
import { S3Client } from '@aws-sdk/client-s3';
import { Kafka, logLevel } from 'kafkajs';
import { z } from 'zod';
import { startMockApiServer } from '../lambdas/mock-apis/local-server';
import { startDashboard } from './dashboard/server';
import { removeRuntimeInfo, writeRuntimeInfo } from './ops/runtime-info';
import { startTerminalProgress } from './terminal-progress';
import { metricNames, pipeline } from '../lambdas/shared/pipeline';
import type { OutputLine } from './runtime/function-host';
import type { LocalRuntime } from './runtime/local-runtime';
import { startLocalRuntime } from './runtime/local-runtime';
import type { PipelineProgress } from './runtime/progress';
import { isDrained, pipelineProgress } from './runtime/progress';
import { localCredentials } from './stack/endpoints';
import { formatTimings, startLocalStack } from './stack/index';
import { checkPrerequisites } from './stack/prerequisites';
import { provisionPipelineResources } from './stack/provision';

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
type Options = z.infer<typeof OptionsSchema>;

function readOptions(): Options {
  const { values } = parseArgs({
    options: {
      records: { type: 'string' },
      seed: { type: 'string' },
      'tick-ms': { type: 'string' },
      'timeout-s': { type: 'string' },
      'log-level': { type: 'string' },
      'merge-concurrency': { type: 'string' },
      'until-drained': { type: 'boolean' },
      'dashboard-port': { type: 'string' },
    },
    strict: true,
  });
  const parsed = OptionsSchema.safeParse(values);
  if (!parsed.success) {
    throw new Error(
      `Bad options: ${parsed.error.issues.map((issue) => `--${issue.path.join('.')}: ${issue.message}`).join('; ')}`,
    );
  }
  return parsed.data;
}

/** 2/3 customers, 1/3 products: the CRM is the bigger source in the user's shop. */
export function splitRecords(total: number): { customers: number; products: number } {
  const customers = Math.round((total * 2) / 3);
  return { customers, products: total - customers };
}

const say = (line: string): void => console.log(`[start] ${line}`);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function printFunctionOutput(line: OutputLine, isMetric: boolean): void {
  if (isMetric) return;
  const out = line.stream === 'stderr' ? process.stderr : process.stdout;
  out.write(`[${line.functionName}] ${line.text}\n`);
}

async function main(): Promise<number> {
  const options = readOptions();
  // Lambda runs a current Node.js; the SDK's "upgrade Node" notice is noise on a dev box.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  say('checking prerequisites (Node, Java, Maven)');
  checkPrerequisites();

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
  let interrupted: () => void = () => undefined;
  const interruption = new Promise<'interrupted'>((resolve) => {
    interrupted = () => resolve('interrupted');
  });
  const onSignal = (): void => {
    say('signal received');
    interrupted();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    const stack = await startLocalStack({ log: (line) => say(`stack: ${line}`) });
    cleanups.push(() => stack.stop());
    say(`stack up: ${formatTimings(stack.timings)}`);
    const names = await provisionPipelineResources(stack.endpoints);
    say(
      `provisioned topics ${names.customerTopic}, ${names.productTopic}, ${names.dlqTopic}; tables; bucket ${names.stagingBucket}`,
    );

    const split = splitRecords(options.records);
    say(
      `records: ${options.records} = ${split.customers} customers (CRM) + ${split.products} products (Inventory)`,
    );
    const mock = await startMockApiServer({
      port: 0,
      seed: options.seed,
      ...split,
      driftPerMinute: 0,
      logger: new Logger({ serviceName: 'mock-apis', logLevel: options['log-level'] }),
    });
    cleanups.push(() => mock.close());
    say(`mock APIs at ${mock.url}`);

    const admin = new Kafka({
      clientId: 'npm-start',
      brokers: stack.endpoints.kafkaBrokers.split(','),
      logLevel: logLevel.NOTHING,
    }).admin();
    await admin.connect();
    cleanups.push(() => admin.disconnect());
    const s3 = new S3Client({
      endpoint: stack.endpoints.s3Endpoint,
      region: stack.endpoints.region,
      credentials: localCredentials,
      forcePathStyle: true,
    });
    cleanups.push(async () => s3.destroy());
    const progress = (): Promise<PipelineProgress> =>
      pipelineProgress({
        admin,
        s3,
        mockApiUrl: mock.url,
        groupId: pipeline.mergeConsumer.consumerGroupId,
        sourceTopics: [names.customerTopic, names.productTopic],
        dlqTopic: names.dlqTopic,
        bucket: names.stagingBucket,
      });
    // Before the runtime, to see its very first EMF lines; operations answer 503 until `serve`.
    const dashboard = await startDashboard({
      progress,
      port: options['dashboard-port'],
      ...(options['until-drained'] ? { expectedRecords: options.records } : {}),
    });
    cleanups.push(() => dashboard.close());
    await writeRuntimeInfo({
      dashboardUrl: dashboard.url,
      token: dashboard.token,
      pid: process.pid,
      startedAt: new Date().toISOString(),
    });
    cleanups.push(() => removeRuntimeInfo(process.pid));
    say(`dashboard at ${dashboard.url}`);

    const startedAt = Date.now();
    const runtime: LocalRuntime = await startLocalRuntime({
      endpoints: stack.endpoints,
      names,
      mockApiUrl: mock.url,
      tickMs: options['tick-ms'],
      logLevel: options['log-level'],
      mergeConsumerConcurrency: options['merge-concurrency'],
      onOutput: (line, isMetric) => {
        printFunctionOutput(line, isMetric);
        dashboard.observe(line, isMetric);
      },
      onSchedule: (outcome) => {
        if (outcome.status === 'failed')
          say(`${outcome.functionName} failed: ${outcome.error.message}`);
      },
    });
    cleanups.push(() => runtime.stop());
    dashboard.serve((key, event) => runtime.invoke(key, event));
    say(
      `functions warm; schedules every ${options['tick-ms']} ms per scheduled minute; ` +
        `merge-consumer mappings on groups ${pipeline.mergeConsumer.consumerGroupId}-<topic>`,
    );
    // TTY: a table redrawn in place; a pipe or CI log: one plain line every 10 s.
    const terminal = startTerminalProgress({
      metrics: () => runtime.metrics.snapshot(),
      progress,
      startedAt,
      ...(options['until-drained'] ? { expectedRecords: options.records } : {}),
    });
    cleanups.push(() => terminal.stop());

    if (!options['until-drained']) {
      say('running; Ctrl-C to stop');
      await interruption;
      await shutdown();
      return 0;
    }

    const deadline = startedAt + options['timeout-s'] * 1000;
    let last: PipelineProgress = await progress();
    let drained = false;
    while (Date.now() < deadline) {
      const outcome = await Promise.race([interruption, sleep(500).then(() => 'tick' as const)]);
      if (outcome === 'interrupted') break;
      last = await progress();
      if (isDrained(last, options.records) && runtime.mappings.every((mapping) => mapping.idle)) {
        drained = true;
        break;
      }
    }
    const elapsedS = (Date.now() - startedAt) / 1000;
    const metricTotals = runtime.metrics.snapshot();
    await shutdown();

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
