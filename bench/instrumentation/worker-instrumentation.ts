/**
 * Preloaded in every function's worker by the bench (FunctionDefinition.preloadModules, imported
 * before the handler, as a Lambda layer's `--import` would be). Counts what the handler sends
 * (AWS SDK requests, Kafka requests, HTTP requests) and how long each took, times its invocations,
 * and reports the running totals to the bench's main thread over a
 * BroadcastChannel.
 *
 * Why hand-written: the functions run as worker threads that build their own clients, and no
 * Powertools or SDK facility counts requests across threads (Powertools Metrics only emits what
 * handler code adds; the SDK has no request counter). Hooks on the client classes count what is
 * really sent, in every thread, with no change to production code.
 */
import { BroadcastChannel, parentPort, threadId } from 'node:worker_threads';
import { installAwsSdkRequestCounter } from './aws-sdk-counter';
import { installFetchCounter } from './fetch-counter';
import { timeInvocations } from './invocation-timer';
import { installKafkaRequestCounter } from './kafkajs-counter';
import type { InvocationTiming, WorkerReport } from './request-channel';
import { BENCH_REQUEST_CHANNEL, BENCH_RUN_ID_ENV } from './request-channel';
import { RequestTally } from './request-tally';

const port = parentPort;
if (!port) throw new Error('worker-instrumentation is a preload for function worker threads');

const tally = new RequestTally();
installAwsSdkRequestCounter(tally);
installKafkaRequestCounter({ producers: tally, consumers: () => tally });
installFetchCounter(tally);

/** Node ≥ 23.9's per-thread CPU clock (the local runtime runs Node 24); absent before. */
const threadCpuUsage: unknown = Reflect.get(process, 'threadCpuUsage');
const threadCpuSeconds = (): number | undefined => {
  if (typeof threadCpuUsage !== 'function') return undefined;
  const { user, system } = threadCpuUsage.call(process) as NodeJS.CpuUsage;
  return (user + system) / 1e6;
};

const invocations: InvocationTiming[] = [];
const channel = new BroadcastChannel(BENCH_REQUEST_CHANNEL);
channel.unref();
const report = (): void => {
  const message: WorkerReport = {
    runId: process.env[BENCH_RUN_ID_ENV] ?? 'unknown',
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'unknown',
    threadId,
    requests: tally.snapshot(),
    latency: tally.latencySnapshot(),
    invocations,
    threadCpuSeconds: threadCpuSeconds(),
  };
  channel.postMessage(message);
};

timeInvocations(port, (timing) => {
  invocations.push(timing);
  // Before the reply leaves: the main thread sees an invocation's requests once it has ended.
  report();
});
// Long invocations (a full sync) report as they go too.
setInterval(report, 500).unref();
