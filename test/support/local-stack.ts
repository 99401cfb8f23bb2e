import type { Admin, Producer } from 'kafkajs';
import { Kafka, logLevel } from 'kafkajs';
import { inject } from 'vitest';
import { createProducer } from '../../lambdas/shared/kafka';
import type { StackEndpoints } from '../../localstack/stack/endpoints';
import { stackEnv } from '../../localstack/stack/endpoints';

export type { StackEndpoints } from '../../localstack/stack/endpoints';

/** Endpoints of the stack the integration global setup started for this run. */
export function localStack(): StackEndpoints {
  const endpoints = inject('localStack');
  if (!endpoints) {
    throw new Error(
      'No local stack: run integration tests with `npx vitest run --project integration`, whose global setup starts it',
    );
  }
  return endpoints;
}

/**
 * Points the AWS SDK (standard AWS_ENDPOINT_URL_* variables) and KAFKA_BROKERS at the local stack
 * for this test file. Returns the env it applied.
 */
export function applyLocalStackEnv(): Record<string, string> {
  const env = stackEnv(localStack());
  Object.assign(process.env, env);
  return env;
}

/** A kafkajs client, admin and the pipeline's producer on the run's broker, connected; `close` disconnects. */
export async function connectKafka(clientId: string) {
  const kafka = new Kafka({
    clientId,
    brokers: [localStack().kafkaBrokers],
    logLevel: logLevel.NOTHING,
  });
  const admin: Admin = kafka.admin();
  const producer: Producer = createProducer(kafka);
  await Promise.all([admin.connect(), producer.connect()]);
  const close = async () => {
    await producer.disconnect();
    await admin.disconnect();
  };
  return { kafka, admin, producer, close };
}
