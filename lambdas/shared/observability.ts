import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

/**
 * Logger and Metrics named by the Powertools env vars, which each function's env schema parses
 * with the pipeline's values as defaults. Built once per cold start.
 */
export function createObservability(env: {
  POWERTOOLS_METRICS_NAMESPACE: string;
  POWERTOOLS_SERVICE_NAME: string;
}): { logger: Logger; metrics: Metrics } {
  return {
    logger: new Logger({ serviceName: env.POWERTOOLS_SERVICE_NAME }),
    metrics: new Metrics({
      namespace: env.POWERTOOLS_METRICS_NAMESPACE,
      serviceName: env.POWERTOOLS_SERVICE_NAME,
    }),
  };
}
