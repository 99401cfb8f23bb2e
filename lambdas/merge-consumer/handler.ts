import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { parseEnv, powertools } from '../shared/config';
import { DlqPublisher } from '../shared/dlq';
import { KafkaEnvSchema, createKafka, createProducer } from '../shared/kafka';
import { StagingClaimPersistenceLayer } from './claim-store';
import { MergeConsumerEnvSchema } from './env';
import type { KafkaBatchResponse } from './process-event';
import { processMskEvent } from './process-event';
import { S3StagingStore } from '../shared/staging-format';
import { sdkClient } from '../shared/aws-sdk-retry';

const env = parseEnv(MergeConsumerEnvSchema);
const kafkaEnv = parseEnv(KafkaEnvSchema);

const { logger, metrics } = powertools(env);

const claims = new StagingClaimPersistenceLayer({
  tableName: env.IDEMPOTENCY_TABLE,
  client: sdkClient(DynamoDBClient, {}),
  expiresAfterSeconds: env.IDEMPOTENCY_TTL_SECONDS,
  claimsPerRequest: env.IDEMPOTENCY_CLAIMS_PER_REQUEST,
  concurrency: env.IDEMPOTENCY_CONCURRENCY,
});
const s3 = sdkClient(S3Client, { forcePathStyle: env.AWS_ENDPOINT_URL_S3 !== undefined });
const staging = new S3StagingStore(s3, env.STAGING_BUCKET);

const producer = createProducer(await createKafka(kafkaEnv, { logger }));
await producer.connect();
const dlq = new DlqPublisher(producer, env.DLQ_TOPIC);
const concurrency = env.IDEMPOTENCY_CONCURRENCY;
const now = (): Date => new Date();

export const handler = middy(
  async (event: unknown, context: Context): Promise<KafkaBatchResponse> => {
    claims.registerLambdaContext(context);
    return processMskEvent(event, { claims, staging, dlq, logger, metrics, concurrency, now });
  },
)
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
