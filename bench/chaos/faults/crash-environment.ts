import { threadId } from 'node:worker_threads';
import { createCrashDecider } from './crash-decider';
import { readCrashPlan } from './crash-plan';
import { fileCrashSlots } from './crash-slots';
import { mixSeed, mulberry32 } from '../../../lambdas/mock-apis/prng';

/**
 * Exit code of an environment killed on purpose: 128 + SIGKILL, as a shell reports a killed
 * process, so it reads as "killed" in the runtime's "exited with code …" error.
 */
export const CRASH_EXIT_CODE = 137;

/**
 * The crash decision of this execution environment, from the plan in its env. Seeded per worker
 * thread (thread ids are unique in the process), so a replacement environment does not replay the
 * draws of the one that died.
 */
export function crashDeciderFromEnv(): (operation: string) => boolean {
  const plan = readCrashPlan(process.env);
  return createCrashDecider({
    probabilities: plan.probabilities,
    random: mulberry32(mixSeed(plan.seed, threadId)),
    slots: fileCrashSlots(plan.slotDir, plan.maxCrashes, plan.maxCrashesPerOperation),
  });
}

/**
 * Ends this execution environment now. In a worker thread `process.exit` stops the thread only
 * (the local runtime's FunctionHost sees the exit and fails the invocation with Runtime.ExitError),
 * and no `finally`, no pending promise and no open socket of the handler runs on: as abrupt as a
 * Lambda sandbox that dies.
 */
export function crashExecutionEnvironment(): never {
  process.exit(CRASH_EXIT_CODE);
}
