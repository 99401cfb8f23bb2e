import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { MergeConsumerEnv } from './env';

/** Logger and Metrics named from the environment (the pipeline values when it says nothing). */
export function createObservability(
  env: Pick<MergeConsumerEnv, 'POWERTOOLS_METRICS_NAMESPACE' | 'POWERTOOLS_SERVICE_NAME'>,
): { logger: Logger; metrics: Metrics } {
  return {
    logger: new Logger({ serviceName: env.POWERTOOLS_SERVICE_NAME }),
    metrics: new Metrics({
      namespace: env.POWERTOOLS_METRICS_NAMESPACE,
      serviceName: env.POWERTOOLS_SERVICE_NAME,
    }),
  };
}
