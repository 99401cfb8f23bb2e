import { fileURLToPath } from 'node:url';
import type { HostedFunctionKey } from '../../localstack/runtime/pipeline-functions';
import { BENCH_RUN_ID_ENV } from './request-channel';

const workerInstrumentation = fileURLToPath(
  new URL('./worker-instrumentation.ts', import.meta.url),
);
const hostedFunctions: readonly HostedFunctionKey[] = [
  'pollCrm',
  'pollInventory',
  'mergeConsumer',
  'flush',
];

/** The startPipelineRun options that attach the request counters to every hosted function. */
export interface InstrumentedFunctions {
  preloadModules: Record<HostedFunctionKey, string[]>;
  extraEnv: Record<HostedFunctionKey, Record<string, string>>;
}

/**
 * Preloads worker-instrumentation.ts in each of the four functions and files their reports under
 * `runId` (what RequestCollector.counts(runId) then sums). Callers add their own env on top.
 */
export function instrumentedFunctions(runId: string): InstrumentedFunctions {
  const everyFunction = <T>(value: () => T): Record<HostedFunctionKey, T> =>
    Object.fromEntries(hostedFunctions.map((key) => [key, value()])) as Record<
      HostedFunctionKey,
      T
    >;
  return {
    preloadModules: everyFunction(() => [workerInstrumentation]),
    extraEnv: everyFunction(() => ({ [BENCH_RUN_ID_ENV]: runId })),
  };
}
