/**
 * Preloaded in a function's workers (crash.ts), before the handler builds its clients and captures
 * `fetch`. `process.exit` in a worker stops that thread only (the runtime fails the invocation with
 * Runtime.ExitError) and runs no `finally` of the handler: as abrupt as a Lambda sandbox that dies.
 */
import { threadId } from 'node:worker_threads';
import { mixSeed, mulberry32 } from '../../lambdas/mock-apis/prng';
import { sdkBaseClient } from '../instrumentation/counters';
import {
  crashAfterAnalyticsPost,
  createCrashDecider,
  fileCrashSlots,
  installSdkCrashHook,
  readCrashPlan,
} from './crash';

const plan = readCrashPlan(process.env);
const hook = {
  shouldCrash: createCrashDecider({
    probabilities: plan.probabilities,
    random: mulberry32(mixSeed(plan.seed, threadId)),
    slots: fileCrashSlots(plan.slotDir, plan.maxCrashes, plan.maxCrashesPerOperation),
  }),
  // 128 + SIGKILL, as a shell reports a killed process.
  crash: (): never => process.exit(137),
};
installSdkCrashHook(sdkBaseClient(), hook);
globalThis.fetch = crashAfterAnalyticsPost(globalThis.fetch, hook);
