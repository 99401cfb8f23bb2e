import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { StackEndpoints } from '../../localstack/stack/endpoints';
import { startPipeline } from '../../localstack/start-pipeline';
import type { RequestCollector } from '../instrumentation/collector';
import { BENCH_RUN_ID_ENV, cpuMeter, EmfRecorder } from '../instrumentation/collector';

/** A pipeline run with the bench's counters attached: what scenarios 1–3 measure. */
export type BenchPipeline = Awaited<ReturnType<typeof startBenchPipeline>>;

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
}) {
  const runId = `${options.label}-${randomUUID().slice(0, 6)}`;
  // startPipeline names its group `ecom-sync-merge-consumer-<label>-<random>`.
  options.collector.watchConsumerGroups(runId, `ecom-sync-merge-consumer-${runId}-`);
  const customers = Math.ceil(options.records / 2);
  const run = await startPipeline({
    endpoints: options.endpoints,
    label: runId,
    customers,
    products: options.records - customers,
    seed: options.seed,
    tickMs: options.tickMs,
    mergeConcurrency: options.mergeConcurrency,
    preloadModules: Object.fromEntries(hosted.map((key) => [key, [worker]])),
    extraEnv: Object.fromEntries(hosted.map((key) => [key, { [BENCH_RUN_ID_ENV]: runId }])),
    schedules: false,
  });
  const emf = new EmfRecorder(Object.values(run.runtime.hosts));
  const cpuSeconds = cpuMeter({ node: process.pid, ...options.serverPids });
  run.runtime.scheduler.start();
  return {
    run,
    emf,
    /** CPU seconds since the schedules started: `node` (this process, every thread) and each JVM. */
    cpuSeconds,
    /** Requests, in-worker invocation timings and thread CPU so far (in-flight reports let in). */
    async requests() {
      await options.collector.settle();
      return options.collector.counts(runId);
    },
    async stop() {
      emf.close();
      await run.stop();
    },
  };
}
