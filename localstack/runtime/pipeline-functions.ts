import { fileURLToPath } from 'node:url';
import type { FunctionKey } from '../../lambdas/shared/pipeline';
import { functionNames, pipeline } from '../../lambdas/shared/pipeline';
import type { StackEndpoints } from '../stack/endpoints';
import { stackEnv } from '../stack/endpoints';
import type { PipelineResourceNames } from '../stack/provision';
import type { FunctionDefinition } from './function-host';
import { LOCAL_ACCOUNT_ID } from './lambda-context';

/** The functions the local runtime hosts (mock-apis runs as its own HTTP server). */
export type HostedFunctionKey = Exclude<FunctionKey, 'mockApis'>;

const handlerModules: Record<HostedFunctionKey, string> = {
  pollCrm: '../../lambdas/poll-crm/handler.ts',
  pollInventory: '../../lambdas/poll-inventory/handler.ts',
  mergeConsumer: '../../lambdas/merge-consumer/handler.ts',
  flush: '../../lambdas/flush/handler.ts',
};

const sizing: Record<
  HostedFunctionKey,
  { timeoutSeconds: number; memoryMb: number; maxConcurrency: number }
> = {
  pollCrm: { ...pipeline.poller, maxConcurrency: 1 },
  pollInventory: { ...pipeline.poller, maxConcurrency: 1 },
  // One execution environment per partition of one topic: what the 2-core dev box can run.
  mergeConsumer: { ...pipeline.mergeConsumer, maxConcurrency: 3 },
  flush: { ...pipeline.flush, maxConcurrency: pipeline.flush.reservedConcurrency },
};

export interface PipelineFunctionOptions {
  endpoints: StackEndpoints;
  names: PipelineResourceNames;
  /** Base URL of the mock APIs: source APIs for the pollers, Analytics for flush. */
  mockApiUrl: string;
  /** POWERTOOLS_LOG_LEVEL of every function (default WARN: quiet). */
  logLevel?: string;
  /** Per-function environment additions (tunables such as POLLER_PAGE_SIZE). */
  extraEnv?: Partial<Record<HostedFunctionKey, Record<string, string>>>;
  /** Modules each function's worker imports before its handler (bench/chaos instrumentation). */
  preloadModules?: Partial<Record<HostedFunctionKey, string[]>>;
  mergeConsumerConcurrency?: number;
}

/**
 * The four pipeline functions with the environment infra/ gives them on AWS, pointed at the
 * local stack. Each gets only its own env, as separate Lambda functions do.
 */
export function pipelineFunctionDefinitions(
  options: PipelineFunctionOptions,
): Record<HostedFunctionKey, FunctionDefinition> {
  const { endpoints, names } = options;
  const definition = (key: HostedFunctionKey): FunctionDefinition => {
    const functionName = functionNames[key];
    const { timeoutSeconds, memoryMb, maxConcurrency } = sizing[key];
    return {
      functionName,
      handlerModule: fileURLToPath(new URL(handlerModules[key], import.meta.url)),
      timeoutMs: timeoutSeconds * 1000,
      memoryMb,
      maxConcurrency:
        key === 'mergeConsumer'
          ? (options.mergeConsumerConcurrency ?? maxConcurrency)
          : maxConcurrency,
      region: endpoints.region,
      account: LOCAL_ACCOUNT_ID,
      ...(options.preloadModules?.[key] ? { preloadModules: options.preloadModules[key] } : {}),
      env: {
        ...stackEnv(endpoints),
        AWS_LAMBDA_FUNCTION_NAME: functionName,
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memoryMb),
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        KAFKA_AUTH: 'none',
        KAFKA_CLIENT_ID: functionName,
        CUSTOMER_TOPIC: names.customerTopic,
        PRODUCT_TOPIC: names.productTopic,
        DLQ_TOPIC: names.dlqTopic,
        SYNC_STATE_TABLE: names.syncStateTable,
        IDEMPOTENCY_TABLE: names.idempotencyTable,
        STAGING_BUCKET: names.stagingBucket,
        SOURCE_API_BASE_URL: options.mockApiUrl,
        ANALYTICS_API_BASE_URL: options.mockApiUrl,
        POWERTOOLS_SERVICE_NAME: functionName,
        POWERTOOLS_METRICS_NAMESPACE: pipeline.metrics.namespace,
        POWERTOOLS_LOG_LEVEL: options.logLevel ?? 'WARN',
        // Lambda runs a current Node.js; the SDK's "upgrade Node 20" notice is local noise.
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        ...options.extraEnv?.[key],
      },
    };
  };
  return {
    pollCrm: definition('pollCrm'),
    pollInventory: definition('pollInventory'),
    mergeConsumer: definition('mergeConsumer'),
    flush: definition('flush'),
  };
}
