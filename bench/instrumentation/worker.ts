/** Preloaded in every function's worker, like a Lambda layer's `--import` (docs/benchmarks.md). */
import { BroadcastChannel, parentPort, threadId } from 'node:worker_threads';
import { z } from 'zod';
import type { InvocationTiming, WorkerReport } from './collector';
import { BENCH_REQUEST_CHANNEL, BENCH_RUN_ID_ENV } from './collector';
import {
  countingFetch,
  installAwsSdkRequestCounter,
  installKafkaRequestCounter,
  RequestTally,
} from './counters';

const port = parentPort;
if (!port) throw new Error('instrumentation/worker.ts is a preload for function worker threads');

const tally = new RequestTally();
installAwsSdkRequestCounter(tally);
installKafkaRequestCounter(() => tally);
// The handlers' HTTP client takes `fetch` when it is built, after this preload ran.
globalThis.fetch = countingFetch(tally, globalThis.fetch);

const invocations: InvocationTiming[] = [];
const channel = new BroadcastChannel(BENCH_REQUEST_CHANNEL);
channel.unref();
const report = (): void => {
  // Node ≥ 23.9's per-thread CPU clock (the local runtime runs Node 24).
  const threadCpu: unknown = Reflect.get(process, 'threadCpuUsage');
  const cpu =
    typeof threadCpu === 'function' ? (threadCpu.call(process) as NodeJS.CpuUsage) : undefined;
  const message: WorkerReport = {
    runId: process.env[BENCH_RUN_ID_ENV] ?? 'unknown',
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'unknown',
    threadId,
    requests: tally.snapshot(),
    invocations,
    threadCpuSeconds: cpu ? (cpu.user + cpu.system) / 1e6 : undefined,
  };
  channel.postMessage(message);
};

/** The parts of the runtime's worker protocol (localstack/runtime/worker-protocol.ts) timed here. */
const MessageSchema = z.looseObject({ type: z.string(), awsRequestId: z.string() });
const started = new Map<string, number>();
port.on('message', (raw: unknown) => {
  const message = MessageSchema.safeParse(raw);
  if (message.success && message.data.type === 'invoke')
    started.set(message.data.awsRequestId, Date.now());
});
const postMessage = port.postMessage.bind(port) as (message: unknown, ...rest: unknown[]) => void;
port.postMessage = (raw: unknown, ...rest: unknown[]) => {
  const message = MessageSchema.safeParse(raw);
  const startMs = message.success ? started.get(message.data.awsRequestId) : undefined;
  if (message.success && startMs !== undefined && ['result', 'error'].includes(message.data.type)) {
    started.delete(message.data.awsRequestId);
    invocations.push({ startMs, endMs: Date.now() });
    // Before the reply leaves: the main thread sees an invocation's requests once it has ended.
    report();
  }
  postMessage(raw, ...rest);
};
// Long invocations (a full sync) report as they go too.
setInterval(report, 500).unref();
