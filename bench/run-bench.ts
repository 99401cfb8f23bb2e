/**
 * `npm run bench`: starts one no-Docker stack and runs the benchmark scenarios on it ("same run,
 * same servers"): scenarios 1–3 on one pipeline run, then, with the pipeline stopped, the raw
 * limits and the per-record baseline on the messages scenario 1 published. Writes
 * bench/results/bench-<timestamp>.json, prints the tables, and exits non-zero when scenario 1 or 3
 * lost or duplicated a record, the resync delivered anything, or a scenario failed. A scenario
 * that throws is recorded in `errors` and the next one runs; scenario 1 throwing ends the bench
 * (every other scenario needs its data). Options: bench/scenarios/bench-options.ts.
 */
import { pipeline as pipelineDefinition } from '../lambdas/shared/pipeline';
import { startLocalStack } from '../localstack/stack/index';
import { machineInfo, runMain, writeResult } from './cli';
import { RequestCollector } from './instrumentation/collector';
import { runPerRecordBaseline } from './baseline/per-record-consumer';
import type { TopicMessage } from './limits/kafka';
import { runLimits } from './limits/raw-dynamodb';
import type { BenchResult, ScenarioName } from './report/bench-result';
import { summarize } from './report/bench-result';
import { awsPrices, estimateCost, pricesReadOn } from './report/cost';
import { missingCounters } from './report/request-summary';
import { terminalReport } from './report/terminal';
import { parseBenchOptions } from './scenarios/bench-options';
import type { BenchPipeline } from './scenarios/bench-pipeline';
import { startBenchPipeline } from './scenarios/bench-pipeline';
import { runFreshLoad } from './scenarios/fresh-load';
import { runResync } from './scenarios/resync';
import { runTrickle } from './scenarios/trickle';

const say = (line: string): void => console.log(`[bench] ${line}`);

runMain('bench', async (onStop) => {
  const settings = parseBenchOptions(process.argv.slice(2));
  say(`starting the local stack (Kafka, DynamoDB Local, S3Mock; emulator JVMs: ${settings.jvm})`);
  const stack = await startLocalStack({ jvm: settings.jvm, log: say });
  onStop(() => stack.stop());
  const { endpoints } = stack;
  const serverPids: Record<string, number> = { ...stack.processes.servers };
  const startedAt = new Date().toISOString();
  const scenarios: BenchResult['scenarios'] = {};
  const errors: BenchResult['errors'] = [];
  /** Runs a selected scenario; a failure is recorded and the bench goes on. */
  const attempt = async (name: ScenarioName, what: string, work: () => Promise<void>) => {
    if (!settings.only.includes(name)) return;
    say(what);
    try {
      await work();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      errors.push({ scenario: name, message });
      say(`${name} FAILED: ${message}`);
    }
  };
  // Generous: the bench measures speed, the timeout only catches a stuck pipeline.
  const timeoutMs = Math.max(300_000, settings.records * 20);
  const collector = new RequestCollector();
  let pipeline: BenchPipeline | undefined;
  let messages: TopicMessage[] = [];
  try {
    say(`scenario 1: fresh load of ${settings.records} records`);
    pipeline = await startBenchPipeline({
      endpoints,
      collector,
      label: 'bench',
      serverPids,
      ...settings,
    });
    const fresh = await runFreshLoad({
      pipeline,
      endpoints,
      records: settings.records,
      serverPids,
      timeoutMs,
    });
    scenarios.freshLoad = fresh.result;
    messages = fresh.messages;
    const missing = missingCounters(fresh.result.requests);
    if (missing.length > 0) {
      throw new Error(
        `request counters read zero for ${missing.join(', ')}: the instrumentation missed clients, figures would be wrong`,
      );
    }
    say(`scenario 1: ${fresh.result.recordsPerSecond.toFixed(0)} records/s end to end`);
    const { records } = settings;
    const running = pipeline;
    await attempt('resync', 'scenario 2: full resync of unchanged data', async () => {
      scenarios.resync = await runResync({ pipeline: running, records, timeoutMs });
    });
    await attempt(
      'trickle',
      `scenario 3: 1 % of the records change per poll interval, ${settings.trickleIntervals} intervals`,
      async () => {
        scenarios.trickle = await runTrickle({
          pipeline: running,
          records,
          intervals: settings.trickleIntervals,
          tickMs: settings.tickMs,
          timeoutMs,
        });
      },
    );
  } finally {
    // The pipeline's polls and idle fetches would otherwise compete with the raw measurements.
    await pipeline?.stop();
    collector.close();
  }
  await attempt(
    'limits',
    'scenario 4: raw Kafka and raw DynamoDB limits on the same servers',
    async () => {
      // Items per concurrency level: enough for a steady-state rate.
      const items = Math.max(100, Math.min(settings.records, 20_000));
      scenarios.limits = await runLimits({
        endpoints,
        messages,
        items,
        dynamodbPid: serverPids.dynamodb,
      });
    },
  );
  const topics = pipeline
    ? [pipeline.run.names.customerTopic, pipeline.run.names.productTopic]
    : [];
  await attempt(
    'baseline',
    `scenario 5: per-record baseline on the first ${settings.baselineRecords} records`,
    async () => {
      scenarios.baseline = await runPerRecordBaseline({
        endpoints,
        topics,
        records: settings.baselineRecords,
        timeoutMs,
      });
    },
  );
  await stack.stop();

  const fresh = scenarios.freshLoad;
  const cost = fresh
    ? estimateCost({
        records: fresh.records,
        requests: fresh.requests.byOperation,
        lambda: fresh.lambda,
        kafkaBytes: fresh.kafka.bytes,
        topicPartitions: Object.values(pipelineDefinition.topics).reduce(
          (sum, t) => sum + t.partitions,
          0,
        ),
      })
    : undefined;
  const result: BenchResult = {
    summary: summarize(scenarios, cost),
    startedAt,
    finishedAt: new Date().toISOString(),
    machine: machineInfo(),
    options: settings,
    scenarios,
    cost,
    prices: { readOn: pricesReadOn, list: awsPrices },
    errors,
  };
  console.log(terminalReport(result, writeResult(settings.outDir, 'bench', startedAt, result)));
  const failures = benchFailures(result);
  for (const failure of failures) console.error(`[bench] FAIL: ${failure}`);
  return failures.length > 0 ? 1 : 0;
});

/** Why the bench must exit non-zero: lost or duplicated records, new data on a resync, failures. */
function benchFailures({ scenarios, errors }: BenchResult): string[] {
  const { freshLoad, resync, trickle } = scenarios;
  const failures = errors.map((error) => `${error.scenario}: ${error.message}`);
  if (!freshLoad) failures.push('scenario 1 did not complete');
  for (const [name, delivery] of [
    ['scenario 1', freshLoad?.delivery],
    ['scenario 3', trickle?.delivery],
  ] as const) {
    if (delivery && delivery.lost + delivery.duplicated > 0) {
      failures.push(
        `${name} lost ${delivery.lost} (e.g. ${delivery.lostSample.join(', ')}) and duplicated ${delivery.duplicated} records`,
      );
    }
  }
  if (resync && resync.analyticsNewRecords > 0) {
    failures.push(`the resync of unchanged data delivered ${resync.analyticsNewRecords} records`);
  }
  return failures;
}
