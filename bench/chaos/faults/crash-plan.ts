import { z } from 'zod';

/** The env var that carries a CrashPlan (JSON) into a function's execution environments. */
export const CRASH_PLAN_ENV = 'CHAOS_CRASH_PLAN';

/**
 * When an execution environment kills itself. The probabilities are per operation (for example
 * `DynamoDB.PutItem` or `Analytics.POST`), drawn after the operation succeeded.
 */
export const CrashPlanSchema = z.object({
  /** Mixed with the worker's thread id, so each execution environment draws its own sequence. */
  seed: z.number().int(),
  /** At most this many crashes in the whole run, over every environment: the run must finish. */
  maxCrashes: z.number().int().nonnegative(),
  /** At most this many after any one operation (default: maxCrashes). */
  maxCrashesPerOperation: z.number().int().nonnegative().optional(),
  /** Operation → probability (0..1) of crashing right after it succeeded. */
  probabilities: z.record(z.string().min(1), z.number().min(0).max(1)),
  /** Shared by every environment of the run: one file per crash (see crash-slots.ts). */
  slotDir: z.string().min(1),
});
export type CrashPlan = z.output<typeof CrashPlanSchema>;

/** The extraEnv entry that hands the plan to a function. */
export function crashPlanEnv(plan: CrashPlan): Record<string, string> {
  return { [CRASH_PLAN_ENV]: JSON.stringify(CrashPlanSchema.parse(plan)) };
}

/** Reads the plan a scenario put in the function's environment; throws if it is absent or invalid. */
export function readCrashPlan(env: Record<string, string | undefined>): CrashPlan {
  const raw = env[CRASH_PLAN_ENV];
  if (raw === undefined) throw new Error(`${CRASH_PLAN_ENV} is not set`);
  return CrashPlanSchema.parse(JSON.parse(raw));
}
