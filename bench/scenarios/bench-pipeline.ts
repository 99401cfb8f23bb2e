import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { StackEndpoints } from '../../localstack/stack/endpoints';
import { startPipeline } from '../../localstack/start-pipeline';
import type { RequestCollector } from '../instrumentation/collector';
import { BENCH_RUN_ID_ENV, cpuMeter, EmfRecorder } from '../instrumentation/collector';

export type BenchPipeline = Awaited<ReturnType<typeof startBenchPipeline>>;

const worker = fileURLToPath(new URL('../instrumentation/worker.ts', import.meta.url));
const hosted = ['pollCrm', 'pollInventory', 'mergeConsumer', 'flush'] as const;

/** Scenarios 1–3's pipeline, counted; the schedules start once the EMF recorder listens. */
export async function startBenchPipeline(options: {
  endpoints: StackEndpoints;
  collector: RequestCollector;
  label: string;
  records: number;
  seed: number;
  tickMs: number;
  mergeConcurrency?: number;
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
    /** Since the schedules started. */
    cpuSeconds,
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
