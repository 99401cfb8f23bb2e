import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { z } from 'zod';
import { parseEnv } from '../../lambdas/shared/config';
import { pipeline } from '../../lambdas/shared/pipeline';

/**
 * `cdk -c key=value` hands every value over as a string, while `cdk.json` hands over typed
 * values; these helpers accept both.
 */
const flag = z
  .union([z.boolean(), z.enum(['true', 'false'])])
  .transform((value) => value === true || value === 'true');
const wholeNumber = (min: number, message?: string) => z.coerce.number().int().min(min, message);
const optionalText = z
  .string()
  .trim()
  .transform((value) => (value === '' ? undefined : value))
  .optional();

const claimTtlDays = Math.ceil(pipeline.mergeConsumer.idempotencyTtlSeconds / 86_400);

/** Every knob of the CDK app; values that also drive the handlers live in lambdas/shared/pipeline.ts. */
const InfraContextSchema = z.object({
  /** `aws`: VPC + MSK. `localstack`: no VPC, a self-managed Kafka endpoint (`cdklocal deploy`). */
  target: z.enum(['aws', 'localstack']).default('aws'),
  /**
   * NAT gateways for the private subnets. At least one: the pollers and flush call APIs on the
   * internet, and the functions and the MSK event source mapping reach STS, CloudWatch and SSM /
   * Secrets Manager through it (there are no interface endpoints, see msk.ts).
   */
  natGateways: wholeNumber(
    1,
    'must be at least 1: the private subnets have no interface endpoints (STS, CloudWatch Logs, SSM, Secrets Manager) and the source and Analytics APIs are on the internet, so with 0 NAT gateways nothing in the VPC can reach them',
  ).default(1),
  mskMode: z.enum(['serverless', 'provisioned']).default('serverless'),
  mskBrokerInstanceType: z.string().min(1).default('kafka.m7g.large'),
  mskKafkaVersion: z.string().min(1).default('3.6.0'),
  /** localstack target: where Lambda and the event source mapping find Kafka (the compose service). */
  kafkaBootstrap: z.string().min(1).default('kafka:9092'),
  /** Real endpoints instead of the mock-apis Function URL. */
  sourceApiUrl: optionalText.pipe(z.url().optional()),
  analyticsApiUrl: optionalText.pipe(z.url().optional()),
  /** Name of an SSM SecureString, or ARN of a Secrets Manager secret, holding the API bearer token. */
  apiTokenParameter: optionalText,
  /**
   * Days a delivered batch (`delivered/`) and a parked batch (`dlq/`) are kept. At least the
   * idempotency TTL: a claim naming a batch is that version's completion only while the batch
   * exists (docs/DESIGN.md), so an earlier expiry would stage a resynced record again.
   */
  deliveredExpiryDays: wholeNumber(claimTtlDays).default(30),
  dlqExpiryDays: wholeNumber(claimTtlDays).default(90),
  logRetentionDays: z.coerce.number().pipe(z.enum(RetentionDays)).default(RetentionDays.ONE_MONTH),
  logLevel: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR']).default('INFO'),
  /** The oldest staged batch alarm fires when flush has not delivered for this long. */
  oldestStagedBatchAlarmSeconds: wholeNumber(60).default(900),
  alarmEmail: optionalText.pipe(z.email().optional()),
  /** Keep tables and buckets when the stack is deleted (default on AWS; off for LocalStack). */
  retainData: flag.optional(),
  stackName: z.string().min(1).default('EcomSync'),
});
export type InfraContext = z.output<typeof InfraContextSchema>;

export const contextKeys = Object.keys(InfraContextSchema.shape) as (keyof InfraContext)[];

/** Parses the context; a bad value fails synth with every offending key named. */
export const parseInfraContext = (raw: Record<string, unknown>): InfraContext =>
  parseEnv(InfraContextSchema, raw, 'CDK context');
