import type { Logger } from '@aws-lambda-powertools/logger';
import { GetBootstrapBrokersCommand, KafkaClient } from '@aws-sdk/client-kafka';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { generateAuthTokenFromCredentialsProvider } from 'aws-msk-iam-sasl-signer-js';
import type { Admin, LogEntry, OauthbearerProviderResponse, Producer, logCreator } from 'kafkajs';
import { Kafka, Partitioners, logLevel } from 'kafkajs';
import { z } from 'zod';
import { replayGroupPattern } from './pipeline';

/**
 * Where the brokers are: a comma-separated `KAFKA_BROKERS` list (local stack, self-managed Kafka)
 * or `MSK_CLUSTER_ARN`, resolved once per cold start with `@aws-sdk/client-kafka`.
 */
export const KafkaEnvSchema = z
  .object({
    KAFKA_BROKERS: z.string().min(1).optional(),
    MSK_CLUSTER_ARN: z.string().startsWith('arn:').optional(),
    KAFKA_AUTH: z.enum(['none', 'iam']).default('none'),
    KAFKA_TLS: z.stringbool().default(false),
    KAFKA_CLIENT_ID: z.string().min(1).default('ecom-sync'),
    AWS_REGION: z.string().min(1).default('us-east-1'),
  })
  .refine((env) => env.KAFKA_BROKERS !== undefined || env.MSK_CLUSTER_ARN !== undefined, {
    message: 'set KAFKA_BROKERS or MSK_CLUSTER_ARN',
    path: ['KAFKA_BROKERS'],
  });
type KafkaEnv = z.output<typeof KafkaEnvSchema>;

/** The kafkajs client, once per cold start; its logs go to `logger` (JSON, same correlation id). */
export async function createKafka(
  env: KafkaEnv,
  options: { logger?: Pick<Logger, 'debug' | 'info' | 'warn' | 'error'> } = {},
): Promise<Kafka> {
  const iam = env.KAFKA_AUTH === 'iam';
  return new Kafka({
    clientId: env.KAFKA_CLIENT_ID,
    brokers: env.KAFKA_BROKERS
      ? env.KAFKA_BROKERS.split(',').map((broker) => broker.trim())
      : await resolveMskBrokers(env),
    ssl: env.KAFKA_TLS || iam,
    logLevel: logLevel.WARN,
    sasl: iam
      ? {
          mechanism: 'oauthbearer',
          oauthBearerProvider: createMskTokenProvider({ region: env.AWS_REGION }),
        }
      : undefined,
    logCreator: options.logger ? powertoolsLogCreator(options.logger) : undefined,
  });
}

/** The bootstrap brokers of an MSK cluster (provisioned or Serverless) for KAFKA_AUTH/KAFKA_TLS. */
export async function resolveMskBrokers(
  env: Pick<KafkaEnv, 'MSK_CLUSTER_ARN' | 'KAFKA_AUTH' | 'KAFKA_TLS' | 'AWS_REGION'>,
  kafkaClient: Pick<KafkaClient, 'send'> = new KafkaClient({ region: env.AWS_REGION }),
): Promise<string[]> {
  const clusterArn = env.MSK_CLUSTER_ARN;
  if (clusterArn === undefined) throw new Error('MSK_CLUSTER_ARN is not set');
  const answer = await kafkaClient.send(new GetBootstrapBrokersCommand({ ClusterArn: clusterArn }));
  const field =
    env.KAFKA_AUTH === 'iam'
      ? 'BootstrapBrokerStringSaslIam'
      : env.KAFKA_TLS
        ? 'BootstrapBrokerStringTls'
        : 'BootstrapBrokerString';
  const brokerString = answer[field];
  if (!brokerString) {
    throw new Error(
      `MSK cluster ${clusterArn} has no ${field}: enable that authentication/encryption on the cluster or change KAFKA_AUTH/KAFKA_TLS`,
    );
  }
  return brokerString.split(',').map((broker) => broker.trim());
}

/**
 * kafkajs `oauthBearerProvider` for MSK IAM auth, with a new credentials provider (by default a
 * fresh default chain) for every token: one that caches credentials keeps signing with expired or
 * rotated ones, and long-lived warm containers then fail SASL re-authentication after about a day
 * (aws/aws-msk-iam-sasl-signer-js#21, #34; "Cannot change principals during re-authentication", #19).
 */
export function createMskTokenProvider({
  region,
  credentials = fromNodeProviderChain,
  sign = generateAuthTokenFromCredentialsProvider,
}: {
  region: string;
  credentials?: () => AwsCredentialIdentityProvider;
  sign?: typeof generateAuthTokenFromCredentialsProvider;
}): () => Promise<OauthbearerProviderResponse> {
  return async () => ({
    value: (await sign({ region, awsCredentialsProvider: credentials() })).token,
  });
}

/** Routes kafkajs log lines into a Powertools Logger, keeping their level and namespace. */
export function powertoolsLogCreator(
  logger: Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>,
): logCreator {
  return () =>
    ({ namespace, level, log }: LogEntry) => {
      const { message, timestamp: _timestamp, ...extra } = log;
      const attributes = { kafkajs: { namespace, ...extra } };
      if (level === logLevel.ERROR) logger.error(message, attributes);
      else if (level === logLevel.WARN) logger.warn(message, attributes);
      else if (level === logLevel.INFO) logger.info(message, attributes);
      else logger.debug(message, attributes);
    };
}

/** Idempotent, `acks: -1` on every send: a resolved send is durable, the watermark may advance. */
export function createProducer(kafka: Kafka): Producer {
  return kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
}

/** Connects on the first call and reuses it while warm; a failed connect is retried next call. */
export function lazyConnect(producer: Pick<Producer, 'connect'>): () => Promise<void> {
  let connecting: Promise<void> | undefined;
  return () => {
    connecting ??= producer.connect().catch((error: unknown) => {
      connecting = undefined;
      throw error;
    });
    return connecting;
  };
}

export const SeekRequestSchema = z.strictObject({
  groupId: z.string().regex(replayGroupPattern, 'is not a replay group (<group>-replay)'),
  topic: z.string().min(1),
  /** An offset, or an ISO-8601 time: the first record at or after it. */
  from: z.union([z.string().regex(/^\d+$/), z.iso.datetime({ offset: true })]),
  partition: z.number().int().nonnegative().optional(),
});
export type SeekRequest = z.infer<typeof SeekRequestSchema>;

/**
 * Commits a new group's start on `topic` (a group with members refuses it): `from` on `partition`
 * (or all), the end on the others, so a mapping created with the group reads that range first.
 * Answers the start and the end as of now, per partition, and the records between.
 */
export async function seekGroup(admin: Admin, { groupId, topic, from, partition }: SeekRequest) {
  const ends = await admin.fetchTopicOffsets(topic);
  const chosen = ends.filter((end) => partition === undefined || end.partition === partition);
  if (chosen.length === 0) throw new Error(`${topic} has no partition ${partition}`);
  const byTime = /^\d+$/.test(from)
    ? undefined
    : await admin.fetchTopicOffsetsByTimestamp(topic, Date.parse(from));
  const start = (end: (typeof ends)[number]): string => {
    if (!chosen.includes(end)) return end.high;
    const offset = BigInt(
      byTime?.find((entry) => entry.partition === end.partition)?.offset ?? from,
    );
    const [low, high] = [BigInt(end.low), BigInt(end.high)];
    return String(offset < low ? low : offset > high ? high : offset);
  };
  const partitions = ends.map((end) => ({ partition: end.partition, offset: start(end) }));
  await admin.setOffsets({ groupId, topic, partitions });
  return {
    groupId,
    from: Object.fromEntries(partitions.map((entry) => [entry.partition, entry.offset])),
    to: Object.fromEntries(ends.map((end) => [end.partition, end.high])),
    records: ends.reduce(
      (sum, end, i) => sum + Number(end.high) - Number(partitions[i]?.offset),
      0,
    ),
  };
}
