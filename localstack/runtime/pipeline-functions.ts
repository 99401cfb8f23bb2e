import type { PipelineFunctionKey, PipelineResources } from '../../lambdas/shared/functions';
import { functionEnvironment, pipelineFunctions } from '../../lambdas/shared/functions';
import { pipeline } from '../../lambdas/shared/pipeline';
import type { StackEndpoints } from '../stack/endpoints';
import { stackEnv } from '../stack/endpoints';
import type { PipelineResourceNames } from '../stack/provision';
import type { FunctionDefinition } from './function-host';

/** The functions the local runtime hosts: the registry's (mock-apis runs as its own HTTP server). */
export type HostedFunctionKey = PipelineFunctionKey;

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
 * The registry's functions with the environment infra/ gives them on AWS (`functionEnvironment`),
 * pointed at the local stack. Each gets only its own env, as separate Lambda functions do.
 */
export function pipelineFunctionDefinitions(
  options: PipelineFunctionOptions,
): Record<HostedFunctionKey, FunctionDefinition> {
  const { endpoints } = options;
  // The local mock APIs take no authentication.
  const api = { baseUrl: options.mockApiUrl, auth: 'none' } as const;
  const resources: PipelineResources = { ...options.names, sourceApi: api, analyticsApi: api };
  // Execution environments per function. merge-consumer: one per partition of one topic, what
  // the 2-core dev box can run.
  const maxConcurrency: Record<HostedFunctionKey, number> = {
    pollCrm: 1,
    pollInventory: 1,
    mergeConsumer: options.mergeConsumerConcurrency ?? 3,
    flush: pipeline.flush.reservedConcurrency,
  };
  const definition = (key: HostedFunctionKey): FunctionDefinition => {
    const spec = pipelineFunctions[key];
    const preloadModules = options.preloadModules?.[key];
    return {
      functionName: spec.name,
      handlerModule: spec.entry,
      timeoutMs: spec.tunables.timeoutSeconds * 1000,
      memoryMb: spec.tunables.memoryMb,
      maxConcurrency: maxConcurrency[key],
      region: endpoints.region,
      ...(preloadModules ? { preloadModules } : {}),
      env: {
        ...stackEnv(endpoints),
        ...functionEnvironment(spec, resources),
        AWS_LAMBDA_FUNCTION_NAME: spec.name,
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(spec.tunables.memoryMb),
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        KAFKA_AUTH: 'none',
        POWERTOOLS_SERVICE_NAME: spec.name,
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
