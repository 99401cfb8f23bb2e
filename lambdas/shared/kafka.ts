import type { KafkaConfig, Producer } from 'kafkajs';
import { Kafka, Partitioners, logLevel } from 'kafkajs';
import { z } from 'zod';

const booleanFromEnv = z
  .enum(['true', 'false', '1', '0'])
  .optional()
  .transform((value) => value === 'true' || value === '1');

/**
 * Where the brokers are: a comma-separated `KAFKA_BROKERS` list (local stack, self-managed Kafka)
 * or `MSK_CLUSTER_ARN`, resolved once per cold start with `@aws-sdk/client-kafka`.
 */
export const KafkaEnvSchema = z
  .object({
    KAFKA_BROKERS: z.string().min(1).optional(),
    MSK_CLUSTER_ARN: z.string().startsWith('arn:').optional(),
    KAFKA_AUTH: z.enum(['none', 'iam']).default('none'),
    KAFKA_TLS: booleanFromEnv,
    KAFKA_CLIENT_ID: z.string().min(1).default('ecom-sync'),
    AWS_REGION: z.string().min(1).default('us-east-1'),
  })
  .refine((env) => env.KAFKA_BROKERS !== undefined || env.MSK_CLUSTER_ARN !== undefined, {
    message: 'set KAFKA_BROKERS or MSK_CLUSTER_ARN',
    path: ['KAFKA_BROKERS'],
  });
export type KafkaEnv = z.output<typeof KafkaEnvSchema>;

/** Builds the kafkajs client. Call once per cold start, outside the handler. */
export async function createKafka(env: KafkaEnv): Promise<Kafka> {
  const brokers = env.KAFKA_BROKERS
    ? env.KAFKA_BROKERS.split(',').map((broker) => broker.trim())
    : await resolveMskBrokers(env);
  const config: KafkaConfig = {
    clientId: env.KAFKA_CLIENT_ID,
    brokers,
    ssl: env.KAFKA_TLS || env.KAFKA_AUTH === 'iam',
    logLevel: logLevel.WARN,
  };
  return new Kafka(config);
}

async function resolveMskBrokers(_env: KafkaEnv): Promise<string[]> {
  throw new Error('MSK_CLUSTER_ARN resolution is not implemented yet');
}

/**
 * A producer that is idempotent and waits for all in-sync replicas (`acks: -1` on every send):
 * a send that resolves is durable, which is what lets pollers advance their watermark.
 */
export function createProducer(kafka: Kafka): Producer {
  return kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
}
