import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { StackEndpoints } from '../../localstack/stack/endpoints';
import type { PipelineRun } from '../../localstack/start-pipeline';
import { startPipeline } from '../../localstack/start-pipeline';
import type { RequestCollector, RequestCounts } from '../instrumentation/collector';
import { BENCH_RUN_ID_ENV, cpuMeter, EmfRecorder } from '../instrumentation/collector';

/** A pipeline run with the bench's counters attached: what scenarios 1–3 measure. */
export interface BenchPipeline {
  run: PipelineRun;
  runId: string;
  emf: EmfRecorder;
  /** Requests and in-worker invocation timings so far (after letting in-flight reports arrive). */
  requests(): Promise<RequestCounts>;
  /** Invocations per function name, from the local Lambda service's own counter. */
  invocations(): Record<string, number>;
  /** Configured memory per function name (what Lambda bills GB-seconds at). */
  memoryMb(): Record<string, number>;
  /** CPU seconds since the schedules started: `node` (this process, every thread) and each JVM. */
  cpuSeconds(): Record<string, number>;
  stop(): Promise<void>;
}

const worker = fileURLToPath(new URL('../instrumentation/worker.ts', import.meta.url));
const hosted = ['pollCrm', 'pollInventory', 'mergeConsumer', 'flush'] as const;

/**
 * Starts one pipeline (localstack/start-pipeline.ts) with the request counters preloaded in every
 * function and the event source mapping's consumer counted in this thread. Schedules start only
 * once the EMF recorder listens, so the first poll's metrics are never missed.
 */
export async function startBenchPipeline(options: {
  endpoints: StackEndpoints;
  collector: RequestCollector;
  /** Part of the run's resource names. */
  label: string;
  records: number;
  seed: number;
  tickMs: number;
  mergeConcurrency?: number;
  /** Server JVM pids by name, whose CPU `cpuSeconds()` reads next to this process's. */
  serverPids?: Record<string, number>;
}): Promise<BenchPipeline> {
  const label = `${options.label}-${randomUUID().slice(0, 6)}`;
  // startPipeline names its group `ecom-sync-merge-consumer-<label>-<random>`.
  options.collector.watchConsumerGroups(label, `ecom-sync-merge-consumer-${label}-`);
  const customers = Math.ceil(options.records / 2);
  const run = await startPipeline({
    endpoints: options.endpoints,
    label,
    customers,
    products: options.records - customers,
    seed: options.seed,
    tickMs: options.tickMs,
    mergeConcurrency: options.mergeConcurrency,
    preloadModules: Object.fromEntries(hosted.map((key) => [key, [worker]])),
    extraEnv: Object.fromEntries(hosted.map((key) => [key, { [BENCH_RUN_ID_ENV]: label }])),
    schedules: false,
  });
  const hosts = Object.values(run.runtime.hosts);
  const emf = new EmfRecorder(hosts);
  const cpuSeconds = cpuMeter({ node: process.pid, ...options.serverPids });
  run.runtime.scheduler.start();
  const byFunction = (value: (host: (typeof hosts)[number]) => number) =>
    Object.fromEntries(hosts.map((host) => [host.functionName, value(host)]));
  return {
    run,
    runId: label,
    emf,
    async requests() {
      await options.collector.settle();
      return options.collector.counts(label);
    },
    invocations: () => byFunction((host) => host.invocations),
    memoryMb: () => byFunction((host) => host.definition.memoryMb),
    cpuSeconds,
    async stop() {
      emf.close();
      await run.stop();
    },
  };
}
