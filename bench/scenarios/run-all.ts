import { pipeline as pipelineDefinition } from '../../lambdas/shared/pipeline';
import type { StackEndpoints } from '../../localstack/stack/endpoints';
import { RequestCollector } from '../instrumentation/request-collector';
import type { TopicMessage } from '../limits/topic-snapshot';
import { awsPrices, pricesReadOn } from '../report/aws-prices';
import type { BenchResult, BenchSettings, ScenarioName } from '../report/bench-result';
import { summarize } from '../report/bench-result';
import type { CostEstimate } from '../report/cost-model';
import { estimateCost } from '../report/cost-model';
import { machineInfo } from '../report/machine-info';
import { missingCounters } from '../report/request-summary';
import { runBaseline } from './baseline';
import type { BenchPipeline } from './bench-pipeline';
import { startBenchPipeline } from './bench-pipeline';
import { runFreshLoad } from './fresh-load';
import { runLimits } from './limits';
import { runResync } from './resync';
import { runTrickle } from './trickle';

export interface RunBenchOptions {
  endpoints: StackEndpoints;
  /** Server JVM pids (RunningStack.processes.servers), for their peak memory. */
  serverPids: Record<string, number>;
  settings: BenchSettings;
  log?: (line: string) => void;
}

/** Items per concurrency level and request style in scenario 4: enough for a steady-state rate. */
const maxLimitItems = 20_000;

/**
 * Runs the selected scenarios on one stack ("same run, same servers"): scenarios 1–3 on one
 * pipeline run, then, with the pipeline stopped, the raw limits and the per-record baseline on
 * the messages scenario 1 published. Returns the result; the caller writes and prints it.
 * A scenario that throws is recorded in `errors` and the next one runs when it can; scenario 1
 * throwing ends the bench (every other scenario needs its data).
 */
export async function runBench(options: RunBenchOptions): Promise<BenchResult> {
  const { endpoints, settings } = options;
  const log = options.log ?? (() => undefined);
  const startedAt = new Date().toISOString();
  const selected = (name: ScenarioName): boolean => settings.only.includes(name);
  const scenarios: BenchResult['scenarios'] = {};
  const errors: BenchResult['errors'] = [];
  const recordFailure = (scenario: ScenarioName, error: unknown): void => {
    const message = error instanceof Error ? error.message : String(error);
    errors.push({ scenario, message });
    log(`${scenario} FAILED: ${message}`);
  };
  // Generous: the bench measures speed, the timeout only catches a stuck pipeline.
  const drainTimeoutMs = Math.max(300_000, settings.records * 20);

  const collector = new RequestCollector();
  let pipeline: BenchPipeline | undefined;
  let messages: TopicMessage[] = [];
  let topics: string[] = [];
  try {
    log(`scenario 1: fresh load of ${settings.records} records`);
    pipeline = await startBenchPipeline({
      endpoints,
      collector,
      label: 'bench',
      records: settings.records,
      seed: settings.seed,
      tickMs: settings.tickMs,
      serverPids: options.serverPids,
      ...(settings.mergeConcurrency ? { mergeConcurrency: settings.mergeConcurrency } : {}),
    });
    topics = [pipeline.run.names.customerTopic, pipeline.run.names.productTopic];
    const fresh = await runFreshLoad({
      pipeline,
      endpoints,
      records: settings.records,
      serverPids: options.serverPids,
      timeoutMs: drainTimeoutMs,
    });
    scenarios.freshLoad = fresh.result;
    messages = fresh.messages;
    const missing = missingCounters(fresh.result.requests);
    if (missing.length > 0) {
      throw new Error(
        `request counters read zero for ${missing.join(', ')}: the instrumentation missed clients, figures would be wrong`,
      );
    }
    log(`scenario 1: ${fresh.result.recordsPerSecond.toFixed(0)} records/s end to end`);

    if (selected('resync')) {
      log('scenario 2: full resync of unchanged data');
      try {
        scenarios.resync = await runResync({
          pipeline,
          records: settings.records,
          timeoutMs: drainTimeoutMs,
        });
      } catch (error) {
        recordFailure('resync', error);
      }
    }
    if (selected('trickle')) {
      log(
        `scenario 3: 1 % of the records change per poll interval, ${settings.trickleIntervals} intervals`,
      );
      try {
        scenarios.trickle = await runTrickle({
          pipeline,
          records: settings.records,
          intervals: settings.trickleIntervals,
          tickMs: settings.tickMs,
          timeoutMs: drainTimeoutMs,
        });
      } catch (error) {
        recordFailure('trickle', error);
      }
    }
  } finally {
    // The pipeline's polls and idle fetches would otherwise compete with the raw measurements.
    await pipeline?.stop();
    collector.close();
  }

  if (selected('limits')) {
    log('scenario 4: raw Kafka and raw DynamoDB limits on the same servers');
    try {
      scenarios.limits = await runLimits({
        endpoints,
        messages,
        items: Math.max(100, Math.min(settings.records, maxLimitItems)),
        ...(options.serverPids.dynamodb === undefined
          ? {}
          : { dynamodbPid: options.serverPids.dynamodb }),
      });
    } catch (error) {
      recordFailure('limits', error);
    }
  }
  if (selected('baseline')) {
    log(`scenario 5: per-record baseline on the first ${settings.baselineRecords} records`);
    try {
      scenarios.baseline = await runBaseline({
        endpoints,
        topics,
        records: settings.baselineRecords,
        timeoutMs: drainTimeoutMs,
      });
    } catch (error) {
      recordFailure('baseline', error);
    }
  }

  const cost = scenarios.freshLoad ? costOf(scenarios.freshLoad) : undefined;
  return {
    summary: summarize(scenarios, cost),
    startedAt,
    finishedAt: new Date().toISOString(),
    machine: machineInfo(),
    options: settings,
    scenarios,
    ...(cost ? { cost } : {}),
    prices: { readOn: pricesReadOn, list: awsPrices },
    errors,
  };
}

function costOf(fresh: NonNullable<BenchResult['scenarios']['freshLoad']>): CostEstimate {
  const topicPartitions = Object.values(pipelineDefinition.topics).reduce(
    (sum, topic) => sum + topic.partitions,
    0,
  );
  return estimateCost({
    records: fresh.records,
    requests: fresh.requests.byOperation,
    lambda: fresh.lambda,
    kafkaBytes: fresh.kafka.bytes,
    topicPartitions,
  });
}

/** Why the bench must exit non-zero: lost or duplicated records, new data on a resync, failures. */
export function benchFailures(result: BenchResult): string[] {
  const failures: string[] = [];
  const fresh = result.scenarios.freshLoad;
  if (!fresh) failures.push('scenario 1 did not complete');
  else {
    if (fresh.delivery.lost > 0) {
      failures.push(
        `scenario 1 lost ${fresh.delivery.lost} records (e.g. ${fresh.delivery.lostSample.join(', ')})`,
      );
    }
    if (fresh.delivery.duplicated > 0) {
      failures.push(`scenario 1 delivered ${fresh.delivery.duplicated} records more than once`);
    }
  }
  const resync = result.scenarios.resync;
  if (resync && resync.analyticsNewRecords > 0) {
    failures.push(`the resync of unchanged data delivered ${resync.analyticsNewRecords} records`);
  }
  const trickle = result.scenarios.trickle;
  if (trickle && (trickle.delivery.lost > 0 || trickle.delivery.duplicated > 0)) {
    failures.push(
      `scenario 3 lost ${trickle.delivery.lost} and duplicated ${trickle.delivery.duplicated} records`,
    );
  }
  for (const error of result.errors) failures.push(`${error.scenario}: ${error.message}`);
  return failures;
}
