import { randomUUID } from 'node:crypto';
import type { StackEndpoints } from '../../localstack/stack/endpoints';
import type { PipelineRun } from '../harness/pipeline-run';
import { startPipelineRun } from '../harness/pipeline-run';
import { EmfRecorder } from '../instrumentation/emf-recorder';
import { instrumentedFunctions } from '../instrumentation/instrumented-functions';
import { ProcessCpuMeter } from '../instrumentation/process-cpu';
import type { RequestCollector, RequestCounts } from '../instrumentation/request-collector';

export interface BenchPipelineOptions {
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
}

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

/**
 * Starts one pipeline (bench/harness/pipeline-run.ts) with the request counters preloaded in
 * every function and the event source mapping's consumer counted in this thread. Schedules start
 * only once the EMF recorder listens, so the first poll's metrics are never missed.
 */
export async function startBenchPipeline(options: BenchPipelineOptions): Promise<BenchPipeline> {
  const label = `${options.label}-${randomUUID().slice(0, 6)}`;
  // pipeline-run names its group `ecom-sync-merge-consumer-<label>-<random>`.
  options.collector.watchConsumerGroups(label, `ecom-sync-merge-consumer-${label}-`);
  const customers = Math.ceil(options.records / 2);
  const run = await startPipelineRun({
    endpoints: options.endpoints,
    label,
    customers,
    products: options.records - customers,
    seed: options.seed,
    tickMs: options.tickMs,
    ...(options.mergeConcurrency ? { mergeConcurrency: options.mergeConcurrency } : {}),
    ...instrumentedFunctions(label),
    schedules: false,
  });
  const emf = new EmfRecorder(Object.values(run.runtime.hosts));
  const cpu = new ProcessCpuMeter(() => ({ node: process.pid, ...options.serverPids }));
  cpu.start();
  run.runtime.scheduler.start();
  const hosts = Object.values(run.runtime.hosts);
  return {
    run,
    runId: label,
    emf,
    async requests() {
      await options.collector.settle();
      return options.collector.counts(label);
    },
    invocations: () =>
      Object.fromEntries(hosts.map((host) => [host.functionName, host.invocations])),
    memoryMb: () =>
      Object.fromEntries(hosts.map((host) => [host.functionName, host.definition.memoryMb])),
    cpuSeconds: () => cpu.read(),
    async stop() {
      emf.close();
      await run.stop();
    },
  };
}
