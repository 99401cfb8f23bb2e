import { functionNames, metricNames } from '../../lambdas/shared/pipeline';
import type { StackEndpoints } from '../../localstack/stack/endpoints';
import type { DeliveryCheck } from '../harness/delivery-check';
import { checkDelivery } from '../harness/delivery-check';
import type { PeakMemory } from '../instrumentation/peak-memory';
import { peakMemory } from '../instrumentation/peak-memory';
import type { TopicMessage } from '../limits/topic-snapshot';
import { readTopicMessages } from '../limits/topic-snapshot';
import type { LambdaUsage } from '../report/cost-model';
import type { Distribution } from '../report/percentiles';
import { distribution } from '../report/percentiles';
import type { RequestFamily, RequestSummary } from '../report/request-summary';
import { requestsPer, requestUnits, summarizeRequests } from '../report/request-summary';
import type { StageRate } from '../report/stage-rates';
import { stageRate } from '../report/stage-rates';
import type { BenchPipeline } from './bench-pipeline';
import { lambdaUsage } from './lambda-usage';
import { messageBytes, publishLatencies } from './publish-latency';

export interface FreshLoadOptions {
  pipeline: BenchPipeline;
  endpoints: StackEndpoints;
  records: number;
  /** Server JVM pids, for their peak memory. */
  serverPids: Record<string, number>;
  timeoutMs: number;
}

export interface FreshLoadResult {
  records: number;
  delivery: DeliveryCheck;
  /** First poll invocation start → last Analytics receipt. */
  seconds: number;
  recordsPerSecond: number;
  firstPollStartedAt: string;
  lastReceiptAt: string;
  stages: StageRate[];
  /** Publish (Kafka timestamp) → Analytics receipt, per record. */
  latencyMs: Distribution | undefined;
  latencyUnmatched: number;
  peakMemory: PeakMemory;
  requests: RequestSummary;
  requestsPer1000Records: Record<RequestFamily, number>;
  /** POSTs the mock Analytics answered (accepted + duplicate keys): cross-checks the POST counter. */
  analyticsPayloadsAtMock: number;
  lambda: LambdaUsage[];
  kafka: { messages: number; bytes: number };
  /** DynamoDB request units the run consumed, and per new record version. */
  dynamodbUnits: DynamodbUnits;
  /**
   * CPU seconds per 1,000 records over the fresh load (schedules start → drained), by process:
   * `node` (the bench: mock APIs, event source mapping, the functions' worker threads) and each
   * JVM; `functions` splits out the worker threads' own CPU (since they started) by function.
   */
  cpuSecondsPer1000Records: {
    processes: Record<string, number>;
    functions: Record<string, number>;
  };
}

export interface DynamodbUnits {
  wru: number;
  rru: number;
  wruPerRecord: number;
  rruPerRecord: number;
}

export function dynamodbUnits(byOperation: Record<string, number>, records: number): DynamodbUnits {
  const { wru, rru } = requestUnits(byOperation);
  return {
    wru,
    rru,
    wruPerRecord: records > 0 ? wru / records : 0,
    rruPerRecord: records > 0 ? rru / records : 0,
  };
}

export interface FreshLoadOutcome {
  result: FreshLoadResult;
  /** The messages the pollers published: scenario 4 replays them. */
  messages: TopicMessage[];
}

/** The stages a record passes, by the metric that counts it and the functions that emit it. */
export const stageMetrics = [
  {
    stage: 'poll → Kafka publish',
    metric: metricNames.recordsPublished,
    functions: [functionNames.pollCrm, functionNames.pollInventory],
  },
  {
    stage: 'merge-consumer staging',
    metric: metricNames.recordsStaged,
    functions: [functionNames.mergeConsumer],
  },
  {
    stage: 'flush delivery',
    metric: metricNames.recordsDelivered,
    functions: [functionNames.flush],
  },
] as const;

/**
 * Scenario 1: N new records, full sync (the first scheduled poll of an empty sync state), until
 * Analytics holds every record. Throws when the pipeline does not drain in time; a lost or
 * duplicated record is reported in `delivery` and fails the bench in the runner.
 */
export async function runFreshLoad(options: FreshLoadOptions): Promise<FreshLoadOutcome> {
  const { pipeline, records } = options;
  const { run } = pipeline;
  await run.waitUntilDrained({
    accept: (progress) => progress.stats.uniqueRecords >= records,
    timeoutMs: options.timeoutMs,
  });
  const cpuSeconds = pipeline.cpuSeconds();
  const memory = peakMemory(options.serverPids);
  const delivery = checkDelivery(run.mock.state);
  const counts = await pipeline.requests();

  const pollStarts = [functionNames.pollCrm, functionNames.pollInventory].flatMap((name) =>
    (counts.invocations[name] ?? []).map((timing) => timing.startMs),
  );
  const receipts = run.mock.state.analytics.payloads().map((p) => Date.parse(p.receivedAt));
  if (pollStarts.length === 0 || receipts.length === 0) {
    throw new Error(
      'fresh load: no timed poll invocation or no Analytics receipt; is the worker instrumentation loaded?',
    );
  }
  const firstPollStartMs = Math.min(...pollStarts);
  const lastReceiptMs = Math.max(...receipts);
  const seconds = (lastReceiptMs - firstPollStartMs) / 1000;

  const stages = stageMetrics.flatMap(({ stage, metric, functions }) => {
    const samples = pipeline.emf.samples
      .filter((sample) => (functions as readonly string[]).includes(sample.functionName))
      .map((sample) => ({
        functionName: sample.functionName,
        timestampMs: sample.timestampMs,
        value: sample.values[metric] ?? 0,
      }));
    const rate = stageRate({ stage, metric, samples, invocations: counts.invocations });
    return rate ? [rate] : [];
  });

  const messages = await readTopicMessages({
    brokers: options.endpoints.kafkaBrokers,
    topics: [run.names.customerTopic, run.names.productTopic],
  });
  const stats = run.mock.state.analytics.getStats();
  const latencies = publishLatencies(messages, run.mock.state.analytics);
  const invocations = pipeline.invocations();
  const requests = summarizeRequests(
    counts.total,
    Object.values(invocations).reduce((sum, n) => sum + n, 0),
  );
  return {
    messages,
    result: {
      records,
      delivery,
      seconds,
      recordsPerSecond: seconds > 0 ? records / seconds : 0,
      firstPollStartedAt: new Date(firstPollStartMs).toISOString(),
      lastReceiptAt: new Date(lastReceiptMs).toISOString(),
      stages,
      latencyMs: distribution(latencies.latenciesMs),
      latencyUnmatched: latencies.unmatched,
      peakMemory: memory,
      requests,
      requestsPer1000Records: requestsPer(requests, records, 1000),
      analyticsPayloadsAtMock: stats.payloads + stats.duplicatePayloads,
      lambda: lambdaUsage({
        invocations,
        timings: counts.invocations,
        memoryMb: pipeline.memoryMb(),
      }),
      kafka: { messages: messages.length, bytes: messageBytes(messages) },
      dynamodbUnits: dynamodbUnits(counts.total, records),
      cpuSecondsPer1000Records: {
        processes: per1000(cpuSeconds, records),
        functions: per1000(counts.threadCpuSeconds, records),
      },
    },
  };
}

const per1000 = (seconds: Record<string, number>, records: number): Record<string, number> =>
  Object.fromEntries(Object.entries(seconds).map(([name, s]) => [name, (s / records) * 1000]));
