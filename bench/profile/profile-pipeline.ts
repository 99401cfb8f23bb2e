/**
 * Where does the pipeline's time go? Starts a local stack and one pipeline run, then reports:
 * when each stage finished (pollers done, last record staged, last delivered), the requests each
 * function sent per record (AWS SDK operations, Kafka API calls, HTTP requests, retries included)
 * and their mean latency, and the CPU seconds of every server JVM and of this Node process (which
 * hosts all four functions in worker threads). Requests are counted by the bench's own
 * instrumentation (bench/instrumentation: a preload in every function's worker, and the event
 * source mapping's consumer in this thread), so the profile and `npm run bench` count alike.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { metricNames } from '../../lambdas/shared/pipeline';
import { startLocalStack } from '../../localstack/stack';
import type { RunningStack } from '../../localstack/stack';
import { checkDelivery } from '../harness/delivery-check';
import type { PipelineRun } from '../harness/pipeline-run';
import { startPipelineRun } from '../harness/pipeline-run';
import { instrumentedFunctions } from '../instrumentation/instrumented-functions';
import type { RequestLatency } from '../instrumentation/request-channel';
import { RequestCollector } from '../instrumentation/request-collector';
import { ProcessCpuMeter } from './process-cpu';

const usage = `Usage: npx tsx bench/profile/profile-pipeline.ts [options]
  node --cpu-prof --cpu-prof-dir=bench/results/cpu --import tsx bench/profile/profile-pipeline.ts
    (one .cpuprofile per thread; summarise with bench/profile/summarize-cpuprofile.ts)

Options:
  --records N                  records to deliver (default 20000)
  --merge-concurrency N        merge-consumer environments
  --batch-size N               event source mapping batch size
  --window-s S                 event source mapping batching window
  --idempotency-concurrency N  merge-consumer's concurrent idempotency claims
  --claims-per-request N       claims per DynamoDB request (1 = the single-put protocol)
  --tick-ms MS                 scheduler tick (default 1000)
  --repeat N                   runs on the same stack (default 1)
  --label NAME                 part of the runs' resource names (default profile)
  --help                       this text`;

const { values: args } = parseArgs({
  options: {
    help: { type: 'boolean', default: false },
    records: { type: 'string', default: '20000' },
    'merge-concurrency': { type: 'string' },
    'batch-size': { type: 'string' },
    'window-s': { type: 'string' },
    'idempotency-concurrency': { type: 'string' },
    'claims-per-request': { type: 'string' },
    'tick-ms': { type: 'string', default: '1000' },
    repeat: { type: 'string', default: '1' },
    label: { type: 'string', default: 'profile' },
  },
});
if (args.help) {
  console.log(usage);
  process.exit(0);
}
const records = Number(args.records);
const customers = Math.round((records * 2) / 3);
const products = records - customers;
const optionalNumber = (value: string | undefined): number | undefined =>
  value === undefined ? undefined : Number(value);

interface StageTimes {
  pollersDoneS?: number;
  lastStagedS?: number;
  lastDeliveredS?: number;
}

interface ProfileResult {
  records: number;
  knobs: Record<string, number | undefined>;
  stages: StageTimes;
  recordsPerSecond: number;
  invocations: { mergeConsumer: number };
  /** Worker thread id → function, to name the per-thread .cpuprofile files. */
  threads: Record<number, string>;
  /** Requests per 1,000 records, per function and request kind (`.items`: items of batch calls). */
  requestsPer1000: Record<string, Record<string, number>>;
  /** Mean latency (ms) per request kind, per function. */
  meanLatencyMs: Record<string, Record<string, number>>;
  /** Per function: invocations, mean and max duration (ms), as the runtime saw them. */
  invocationTimes: Record<string, { count: number; meanMs: number; maxMs: number }>;
  cpuSeconds: Record<string, number>;
  cpuShareOfWall: Record<string, number>;
  analyticsPayloads: number;
  lost: number;
  duplicated: number;
  timeline: string[];
}

async function profileOnce(stack: RunningStack, attempt: number): Promise<ProfileResult> {
  const runId = `${args.label}${attempt}`;
  const instrumented = instrumentedFunctions(runId);
  const requests = new RequestCollector();
  // pipeline-run names the mapping's group `ecom-sync-merge-consumer-<label>-<random>`.
  requests.watchConsumerGroups(runId, `ecom-sync-merge-consumer-${runId}-`);
  const jvm = new ProcessCpuMeter(() => ({
    ...stack.processes.servers,
    node: process.pid,
  }));
  const stages: StageTimes = {};
  const timeline: string[] = [];
  const pollersPending = new Set(['poll-crm', 'poll-inventory']);
  const knobs = {
    mergeConcurrency: optionalNumber(args['merge-concurrency']),
    batchSize: optionalNumber(args['batch-size']),
    windowS: optionalNumber(args['window-s']),
    idempotencyConcurrency: optionalNumber(args['idempotency-concurrency']),
    claimsPerRequest: optionalNumber(args['claims-per-request']),
  };
  const mergeEnv: Record<string, string> = {};
  if (knobs.idempotencyConcurrency !== undefined)
    mergeEnv.IDEMPOTENCY_CONCURRENCY = String(knobs.idempotencyConcurrency);
  if (knobs.claimsPerRequest !== undefined)
    mergeEnv.IDEMPOTENCY_CLAIMS_PER_REQUEST = String(knobs.claimsPerRequest);

  jvm.start();
  let startedAt = Date.now();
  const elapsedS = (): number => (Date.now() - startedAt) / 1000;
  const run: PipelineRun = await startPipelineRun({
    endpoints: stack.endpoints,
    label: runId,
    customers,
    products,
    tickMs: Number(args['tick-ms']),
    ...(knobs.mergeConcurrency === undefined ? {} : { mergeConcurrency: knobs.mergeConcurrency }),
    mappingControls: {
      ...(knobs.batchSize === undefined ? {} : { batchSize: knobs.batchSize }),
      ...(knobs.windowS === undefined ? {} : { maximumBatchingWindowInSeconds: knobs.windowS }),
    },
    extraEnv: {
      ...instrumented.extraEnv,
      mergeConsumer: { ...instrumented.extraEnv.mergeConsumer, ...mergeEnv },
    },
    preloadModules: instrumented.preloadModules,
    onSchedule: (outcome) => {
      if (outcome.status !== 'skipped' && outcome.functionName !== 'flush') {
        const detail =
          outcome.status === 'failed' ? outcome.error.message : JSON.stringify(outcome.result);
        timeline.push(
          `${elapsedS().toFixed(1)}s ${outcome.functionName} ${outcome.status} in ${outcome.durationMs} ms: ${detail.slice(0, 200)}`,
        );
      }
      const result = outcome.status === 'succeeded' ? outcome.result : undefined;
      const complete = (result as { status?: string } | undefined)?.status === 'complete';
      if (complete && pollersPending.delete(outcome.functionName) && pollersPending.size === 0)
        stages.pollersDoneS = elapsedS();
    },
  });
  startedAt = run.startedAt;
  const invocationTimes = timeInvocations(run);
  const sampler = setInterval(() => {
    const staged = run.runtime.metrics.get(metricNames.recordsStaged).sum;
    const published = run.runtime.metrics.get(metricNames.recordsPublished).sum;
    const delivered = run.mock.state.analytics.getStats().uniqueRecords;
    if (staged >= records && stages.lastStagedS === undefined) stages.lastStagedS = elapsedS();
    const cpu = jvm.read();
    timeline.push(
      `${elapsedS().toFixed(1)}s published=${published} staged=${staged} delivered=${delivered} ` +
        `cpu[s] ${Object.entries(cpu)
          .map(([name, seconds]) => `${name}=${seconds.toFixed(1)}`)
          .join(' ')}`,
    );
  }, 1_000);
  try {
    await run.waitUntilDrained({
      accept: (progress) => progress.stats.uniqueRecords >= records,
      timeoutMs: 1_200_000,
      pollMs: 250,
    });
    stages.lastDeliveredS = elapsedS();
    stages.lastStagedS ??= stages.lastDeliveredS;
    // Let every worker report its final totals.
    await requests.settle(600);
    const cpuSeconds = jvm.read();
    const delivery = checkDelivery(run.mock.state);
    const counts = requests.counts(runId);
    const wall = stages.lastDeliveredS;
    return {
      records,
      knobs,
      stages,
      recordsPerSecond: round(records / wall),
      invocations: {
        mergeConsumer: run.runtime.mappings.reduce((sum, mapping) => sum + mapping.invocations, 0),
      },
      threads: counts.threads,
      requestsPer1000: mapValues(counts.byFunction, (perKind) =>
        mapValues(perKind, (value) => round((value * 1000) / records)),
      ),
      meanLatencyMs: mapValues(counts.latencyByFunction, (perKind) => mapValues(perKind, meanMs)),
      invocationTimes: mapValues(invocationTimes, (times) => ({
        count: times.count,
        meanMs: Math.round(times.totalMs / Math.max(1, times.count)),
        maxMs: Math.round(times.maxMs),
      })),
      cpuSeconds: mapValues(cpuSeconds, round),
      cpuShareOfWall: mapValues(cpuSeconds, (seconds) => round(seconds / wall)),
      analyticsPayloads: run.mock.state.analytics.getStats().payloads,
      lost: delivery.lost,
      duplicated: delivery.duplicated,
      timeline,
    };
  } finally {
    clearInterval(sampler);
    requests.close();
    await run.stop();
  }
}

function meanMs(latency: RequestLatency): number {
  return round(latency.totalMs / Math.max(1, latency.count));
}

/** Wraps each function host's invoke to time invocations (queueing for an environment included). */
function timeInvocations(
  run: PipelineRun,
): Record<string, { count: number; totalMs: number; maxMs: number }> {
  const times: Record<string, { count: number; totalMs: number; maxMs: number }> = {};
  for (const host of Object.values(run.runtime.hosts)) {
    const entry = (times[host.functionName] = { count: 0, totalMs: 0, maxMs: 0 });
    const invoke = host.invoke.bind(host);
    host.invoke = async (event: unknown): Promise<unknown> => {
      const startedAt = performance.now();
      try {
        return await invoke(event);
      } finally {
        const ms = performance.now() - startedAt;
        entry.count += 1;
        entry.totalMs += ms;
        entry.maxMs = Math.max(entry.maxMs, ms);
      }
    };
  }
  return times;
}

/** The same keys, each value mapped. */
function mapValues<A, B>(object: Record<string, A>, map: (value: A) => B): Record<string, B> {
  return Object.fromEntries(Object.entries(object).map(([key, value]) => [key, map(value)]));
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

/** One line a function: `name=value` for each request kind, sorted by kind. */
function printPerFunction(title: string, table: Record<string, Record<string, number>>): void {
  console.log(title);
  for (const [fn, values] of Object.entries(table)) {
    const cells = Object.entries(values)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, value]) => `${name}=${value}`);
    console.log(`  ${fn.padEnd(20)} ${cells.join('  ')}`);
  }
}

function print(result: ProfileResult): void {
  const { stages } = result;
  console.log(
    `\n== ${result.records} records: ${result.recordsPerSecond} records/s end to end ` +
      `(lost ${result.lost}, duplicated ${result.duplicated}, ${result.analyticsPayloads} Analytics payloads, ` +
      `${result.invocations.mergeConsumer} merge-consumer invocations)`,
  );
  console.log(
    `stages [s from runtime start]: pollers done ${stages.pollersDoneS?.toFixed(1)}, ` +
      `last staged ${stages.lastStagedS?.toFixed(1)}, last delivered ${stages.lastDeliveredS?.toFixed(1)}`,
  );
  console.log(
    `threads: ${Object.entries(result.threads)
      .map(([id, fn]) => `${id}=${fn}`)
      .join(' ')}`,
  );
  printPerFunction('requests per 1,000 records:', result.requestsPer1000);
  printPerFunction('mean latency per request [ms]:', result.meanLatencyMs);
  console.log(
    `invocations: ${Object.entries(result.invocationTimes)
      .map(([fn, t]) => `${fn} ${t.count}× mean ${t.meanMs} ms max ${t.maxMs} ms`)
      .join('; ')}`,
  );
  console.log(
    `CPU seconds (share of wall): ${Object.entries(result.cpuSeconds)
      .map(([name, seconds]) => `${name}=${seconds} (${result.cpuShareOfWall[name]})`)
      .join('  ')}`,
  );
}

const stack = await startLocalStack({ log: (line) => console.error(`[stack] ${line}`) });
const results: ProfileResult[] = [];
try {
  for (let attempt = 1; attempt <= Number(args.repeat); attempt++) {
    const result = await profileOnce(stack, attempt);
    print(result);
    results.push(result);
  }
} finally {
  await stack.stop();
}
mkdirSync('bench/results', { recursive: true });
const file = `bench/results/profile-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
writeFileSync(file, JSON.stringify(results, null, 2));
console.log(`\nwritten ${file}`);
