import { z } from 'zod';

/**
 * The BroadcastChannel over which each function's worker (worker-instrumentation.ts) reports what
 * it sent to the bench's main thread.
 */
export const BENCH_REQUEST_CHANNEL = 'ecom-sync-bench-requests';

/** Env var the bench gives every function of one pipeline run, so reports of runs never mix. */
export const BENCH_RUN_ID_ENV = 'BENCH_RUN_ID';

/** One finished invocation as the execution environment saw it (Lambda bills this duration). */
export const InvocationTimingSchema = z.object({
  startMs: z.number(),
  endMs: z.number(),
});
export type InvocationTiming = z.infer<typeof InvocationTimingSchema>;

/** Time spent on one kind of request: how many were timed and their summed duration. */
export const RequestLatencySchema = z.object({
  count: z.number().int(),
  totalMs: z.number(),
});
export type RequestLatency = z.infer<typeof RequestLatencySchema>;

/**
 * What one worker reports: running totals (not deltas), so a lost or repeated message never
 * miscounts; the newest report of a thread replaces the previous one.
 */
export const WorkerReportSchema = z.object({
  runId: z.string(),
  functionName: z.string(),
  threadId: z.number().int(),
  /** Request counts by `<service>.<operation>`, e.g. `dynamodb.PutItem`, `kafka.Produce`. */
  requests: z.record(z.string(), z.number()),
  /** Time those requests took, by the same keys (items keys excepted: they are not requests). */
  latency: z.record(z.string(), RequestLatencySchema),
  invocations: z.array(InvocationTimingSchema),
  /** CPU seconds (user + system) this worker thread has used since it started. */
  threadCpuSeconds: z.number().optional(),
});
export type WorkerReport = z.infer<typeof WorkerReportSchema>;
