/** `npm run bench`: every scenario on one local stack, "same run, same servers" (docs/benchmarks.md). */
import { pipeline as pipelineDefinition } from '../lambdas/shared/pipeline';
import { startLocalStack } from '../localstack/stack/index';
import { runPerRecordBaseline } from './baseline/per-record-consumer';
import { machineInfo, runMain, writeResult } from './cli';
import { RequestCollector } from './instrumentation/collector';
import { measureRawDynamodb } from './limits/raw-dynamodb';
import type { BenchResult } from './report/bench-result';
import { summarize } from './report/bench-result';
import { awsPrices, estimateCost, pricesReadOn } from './report/cost';
import { missingCounters } from './report/request-summary';
import { terminalReport } from './report/terminal';
import type { ScenarioName } from './scenarios/bench-options';
import { parseBenchOptions } from './scenarios/bench-options';
import { startBenchPipeline } from './scenarios/bench-pipeline';
import { runFreshLoad } from './scenarios/fresh-load';
import { runResync } from './scenarios/resync';
import { runTrickle } from './scenarios/trickle';

const say = (line: string): void => console.log(`[bench] ${line}`);

runMain('bench', async (onStop) => {
  const settings = parseBenchOptions(process.argv.slice(2));
  const { records } = settings;
  say(`starting the local stack (Kafka, DynamoDB Local, S3Mock; emulator JVMs: ${settings.jvm})`);
  const stack = await startLocalStack({ jvm: settings.jvm, log: say });
  onStop(() => stack.stop());
  const { endpoints } = stack;
  const serverPids: Record<string, number> = { ...stack.processes.servers };
  const startedAt = new Date().toISOString();
  const scenarios: BenchResult['scenarios'] = {};
  const errors: BenchResult['errors'] = [];
  const attempt = async (name: ScenarioName, what: string, work: () => Promise<void>) => {
    if (!settings.only.includes(name)) return;
    say(what);
    await work().catch((error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      errors.push({ scenario: name, message });
      say(`${name} FAILED: ${message}`);
    });
  };
  // Generous: the bench measures speed, the timeout only catches a stuck pipeline.
  const timeoutMs = Math.max(300_000, records * 20);
  const collector = new RequestCollector();
  const pipeline = await startBenchPipeline({
    ...settings,
    endpoints,
    collector,
    label: 'bench',
    serverPids,
  });
  try {
    say(`scenario 1: fresh load of ${records} records`);
    const fresh = await runFreshLoad({ pipeline, endpoints, records, serverPids, timeoutMs });
    scenarios.freshLoad = fresh;
    const missing = missingCounters(fresh.requests).join(', ');
    if (missing) throw new Error(`request counters read zero for ${missing}: hooks missed clients`);
    say(`scenario 1: ${fresh.recordsPerSecond.toFixed(0)} records/s end to end`);
    await attempt('resync', 'scenario 2: full resync of unchanged data', async () => {
      scenarios.resync = await runResync({ pipeline, records, timeoutMs });
    });
    const { trickleIntervals: intervals, tickMs } = settings;
    const trickle = `scenario 3: 1 % of the records change per poll interval, ${intervals} intervals`;
    await attempt('trickle', trickle, async () => {
      scenarios.trickle = await runTrickle({ pipeline, records, intervals, tickMs, timeoutMs });
    });
  } finally {
    // The pipeline's polls and idle fetches would otherwise compete with the raw measurements.
    await pipeline.stop();
    collector.close();
  }
  await attempt('limits', 'scenario 4: the DynamoDB claim limit on the same server', async () => {
    scenarios.limits = await measureRawDynamodb({
      endpoint: endpoints.dynamodbEndpoint,
      region: endpoints.region,
      items: Math.max(100, Math.min(records, 20_000)),
      dynamodbPid: serverPids.dynamodb,
    });
  });
  const { baselineRecords } = settings;
  const baseline = `scenario 5: per-record baseline on the first ${baselineRecords} records`;
  await attempt('baseline', baseline, async () => {
    const topics = [pipeline.run.names.customerTopic, pipeline.run.names.productTopic];
    const run = { endpoints, topics, records: baselineRecords, timeoutMs };
    scenarios.baseline = await runPerRecordBaseline(run);
  });
  await stack.stop();

  // Scenario 1 either completed or threw out of the run (every other scenario needs its data).
  const fresh = scenarios.freshLoad;
  const cost = estimateCost({
    ...fresh,
    requests: fresh.requests.byOperation,
    kafkaBytes: fresh.kafka.bytes,
    topicPartitions: Object.values(pipelineDefinition.topics).reduce((n, t) => n + t.partitions, 0),
  });
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
  const failures = errors.map((error) => `${error.scenario}: ${error.message}`);
  for (const [name, delivery] of [
    ['scenario 1', fresh.delivery],
    ['scenario 3', scenarios.trickle?.delivery],
  ] as const) {
    if (delivery && delivery.lost + delivery.duplicated > 0) {
      failures.push(
        `${name} lost ${delivery.lost} (e.g. ${delivery.lostSample.join(', ')}) and duplicated ${delivery.duplicated} records`,
      );
    }
  }
  const resent = scenarios.resync?.analyticsNewRecords ?? 0;
  if (resent > 0) failures.push(`the resync of unchanged data delivered ${resent} records`);
  for (const failure of failures) console.error(`[bench] FAIL: ${failure}`);
  return failures.length > 0 ? 1 : 0;
});
