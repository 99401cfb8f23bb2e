import type { Logger } from '@aws-lambda-powertools/logger';
import type { Kafka } from 'kafkajs';
import type { KafkaEnv } from '../shared/kafka';
import { createKafka } from '../shared/kafka';

/** The kafkajs client with its logs routed through `logger`, so they are JSON like ours. */
export function createLoggedKafka(
  kafkaEnv: KafkaEnv,
  logger: Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>,
): Promise<Kafka> {
  return createKafka(kafkaEnv, { logger });
}
