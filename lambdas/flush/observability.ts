import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Kafka } from 'kafkajs';
import type { KafkaEnv } from '../shared/kafka';
import { createKafka } from '../shared/kafka';
import type { FlushEnv } from './env';

/** Logger and Metrics named by the Powertools env vars (defaults: the pipeline's values). */
export function createObservability(
  env: Pick<FlushEnv, 'POWERTOOLS_SERVICE_NAME' | 'POWERTOOLS_METRICS_NAMESPACE'>,
): { logger: Logger; metrics: Metrics } {
  return {
    logger: new Logger({ serviceName: env.POWERTOOLS_SERVICE_NAME }),
    metrics: new Metrics({
      namespace: env.POWERTOOLS_METRICS_NAMESPACE,
      serviceName: env.POWERTOOLS_SERVICE_NAME,
    }),
  };
}

/** The kafkajs client with its logs routed through `logger`, so they are JSON like ours. */
export function createLoggedKafka(
  kafkaEnv: KafkaEnv,
  logger: Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>,
): Promise<Kafka> {
  return createKafka(kafkaEnv, { logger });
}
