/**
 * Preload module for merge-consumer's execution environments (startPipelineRun
 * `preloadModules.mergeConsumer`): crashes the environment right after AWS SDK calls succeeded,
 * as planned by the CHAOS_CRASH_PLAN env var. Imported before the handler builds its clients.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { crashDeciderFromEnv, crashExecutionEnvironment } from './crash-environment';
import type { SdkClientPrototype } from './sdk-crash-hook';
import { installSdkCrashHook } from './sdk-crash-hook';

// The SDK's shared base class (`Client` of @smithy/core/client) reached through a client we depend
// on anyway: DynamoDBClient and S3Client both inherit `send` from it without overriding it.
const baseClientPrototype = Object.getPrototypeOf(DynamoDBClient.prototype) as SdkClientPrototype;

installSdkCrashHook(baseClientPrototype, {
  shouldCrash: crashDeciderFromEnv(),
  crash: crashExecutionEnvironment,
});
