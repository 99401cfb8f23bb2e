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
  const logger = new Logger({ serviceName: env.POWERTOOLS_SERVICE_NAME });
  return {
    logger,
    // Metrics' own warnings ("No application metrics to publish") as WARN log lines, not bare
    // stderr text that reads like an error.
    metrics: new Metrics({
      namespace: env.POWERTOOLS_METRICS_NAMESPACE,
      serviceName: env.POWERTOOLS_SERVICE_NAME,
      logger,
    }),
  };
}
