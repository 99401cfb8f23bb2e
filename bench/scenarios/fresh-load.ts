import { EnvelopeSchema } from '../../lambdas/shared/envelope';
import { pipelineFunctions } from '../../lambdas/shared/functions';
import { functionNames } from '../../lambdas/shared/pipeline';
import type { StackEndpoints } from '../../localstack/stack/endpoints';
import { parseJson } from '../../lambdas/shared/config';
import { checkDelivery, receivedAtMs } from '../harness/delivery-check';
import type { InvocationTiming } from '../instrumentation/collector';
import { peakMemory } from '../instrumentation/collector';
import { messageBytes, readTopics } from '../limits/kafka';
import type { LambdaUsage } from '../report/cost';
import { distribution, sum } from '../report/percentiles';
import { requestsPer, requestUnits, summarizeRequests } from '../report/request-summary';
import type { BenchPipeline } from './bench-pipeline';

export type FreshLoadResult = Awaited<ReturnType<typeof runFreshLoad>>;

/** Scenario 1, the fresh load (docs/benchmarks.md); a lost or duplicated record fails the bench in the runner. */
export async function runFreshLoad(options: {
  pipeline: BenchPipeline;
  endpoints: StackEndpoints;
  records: number;
  serverPids: Record<string, number>;
  timeoutMs: number;
}) {
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
  const { analytics } = run.mock.state;

  const pollStarts = [functionNames.pollCrm, functionNames.pollInventory].flatMap((name) =>
    (counts.invocations[name] ?? []).map((timing) => timing.startMs),
  );
  const receipts = analytics.payloads().map((p) => Date.parse(p.receivedAt));
  if (pollStarts.length === 0 || receipts.length === 0) {
    throw new Error(
      'fresh load: no timed poll invocation or no Analytics receipt; is the worker instrumentation loaded?',
    );
  }
  const firstPollStartMs = Math.min(...pollStarts);
  const lastReceiptMs = Math.max(...receipts);
  const seconds = (lastReceiptMs - firstPollStartMs) / 1000;

  // The message's CreateTime (set by the poller's producer) → the receipt of the same version.
  const { customerTopic, productTopic } = run.names;
  const messages = await readTopics(options.endpoints.kafkaBrokers, [customerTopic, productTopic]);
  const latencies = messages.flatMap((message) => {
    const read = parseJson(EnvelopeSchema, message.value.toString('utf8'), 'EnvelopeSchema');
    if (!('data' in read)) return [];
    const { eventType, payload, contentHash } = read.data;
    const receivedAt = receivedAtMs(run.mock.state, eventType, payload.id, contentHash);
    return receivedAt === undefined ? [] : [receivedAt - message.timestampMs];
  });
  const lambda = lambdaUsage(counts.invocations);
  const invocations = sum(lambda, (usage) => usage.invocations);
  const requests = summarizeRequests(counts.total, invocations);
  const stats = analytics.getStats();
  const per1000 = (values: Record<string, number>) =>
    Object.fromEntries(Object.entries(values).map(([name, s]) => [name, (s / records) * 1000]));
  return {
    records,
    delivery,
    seconds,
    recordsPerSecond: seconds > 0 ? records / seconds : 0,
    firstPollStartedAt: new Date(firstPollStartMs).toISOString(),
    lastReceiptAt: new Date(lastReceiptMs).toISOString(),
    latencyMs: distribution(latencies),
    latencyUnmatched: messages.length - latencies.length,
    peakMemory: memory,
    requests,
    requestsPer1000Records: requestsPer(requests, records, 1000),
    /** POSTs the mock answered (accepted + duplicate keys): cross-checks the POST counter. */
    analyticsPayloadsAtMock: stats.payloads + stats.duplicatePayloads,
    lambda,
    kafka: { messages: messages.length, bytes: messageBytes(messages) },
    dynamodbUnits: requestUnits(counts.total, records),
    /** By process (`node` and each JVM), and each function's worker threads (docs/benchmarks.md). */
    cpuSecondsPer1000Records: {
      processes: per1000(cpuSeconds),
      functions: per1000(counts.threadCpuSeconds),
    },
  };
}

const memoryMb = Object.fromEntries(
  Object.values(pipelineFunctions).map((spec) => [spec.name, spec.tunables.memoryMb]),
);

/** Per function, from the in-worker timings, at its configured memory. */
export function lambdaUsage(timings: Record<string, readonly InvocationTiming[]>): LambdaUsage[] {
  return Object.entries(timings).map(([functionName, invocations]) => ({
    functionName,
    invocations: invocations.length,
    billedMs: sum(invocations, (timing) => Math.max(1, Math.ceil(timing.endMs - timing.startMs))),
    memoryMb: memoryMb[functionName] ?? 0,
  }));
}
