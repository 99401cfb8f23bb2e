import type { LambdaUsage } from '../report/cost-model';
import type { InvocationTiming } from '../instrumentation/request-channel';

/**
 * Per function: invocations (the local Lambda service's counter) and billed duration (in-worker
 * timings, each rounded up to 1 ms), for invocations that started at or after `sinceMs`.
 */
export function lambdaUsage(args: {
  invocations: Record<string, number>;
  timings: Record<string, readonly InvocationTiming[]>;
  memoryMb: Record<string, number>;
  sinceMs?: number;
}): LambdaUsage[] {
  const sinceMs = args.sinceMs ?? 0;
  return Object.entries(args.invocations).map(([functionName, invocations]) => ({
    functionName,
    invocations,
    billedMs: (args.timings[functionName] ?? [])
      .filter((timing) => timing.startMs >= sinceMs)
      .reduce((sum, timing) => sum + Math.max(1, Math.ceil(timing.endMs - timing.startMs)), 0),
    memoryMb: args.memoryMb[functionName] ?? 0,
  }));
}
