/**
 * Preloaded in a function's workers (crash.ts), before the handler builds its clients and captures
 * `fetch`. `process.exit` in a worker stops that thread only (the runtime fails the invocation with
 * Runtime.ExitError) and runs no `finally` of the handler: as abrupt as a Lambda sandbox that dies.
 */
import { threadId } from 'node:worker_threads';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { mixSeed, mulberry32 } from '../../lambdas/mock-apis/prng';
import type { SdkClientPrototype } from './crash';
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
// DynamoDBClient and S3Client both inherit `send` from the SDK's shared base class.
installSdkCrashHook(Object.getPrototypeOf(DynamoDBClient.prototype) as SdkClientPrototype, hook);
globalThis.fetch = crashAfterAnalyticsPost(globalThis.fetch, hook);
