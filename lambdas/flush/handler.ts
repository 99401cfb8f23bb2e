import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { ProducerRecord } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import { fetchForApiAuth } from '../shared/api-auth';
import { parseEnv, powertools } from '../shared/config';
import { DlqPublisher } from '../shared/dlq';
import { DlqTopic } from './dlq-topic';
import { HttpClient } from '../shared/http-client';
import { KafkaEnvSchema, createKafka, createProducer, lazyConnect } from '../shared/kafka';
import { executeCommand, parseInvokeEvent } from './commands';
import { FlushEnvSchema } from './env';
import { acquireLease } from './lease';
import type { FlushDeps } from './outbox';
import { createAnalyticsPoster } from './outbox';
import { S3StagingStore } from '../shared/staging-format';
import { sdkClient } from '../shared/aws-sdk-retry';

const env = parseEnv(FlushEnvSchema);
const kafkaEnv = parseEnv(KafkaEnvSchema);

const { logger, metrics } = powertools(env);

const s3 = sdkClient(S3Client, { forcePathStyle: env.AWS_ENDPOINT_URL_S3 !== undefined });
const dynamodb = sdkClient(DynamoDBClient, {});
const maxAttempts = env.FLUSH_MAX_ATTEMPTS;
const http = new HttpClient({
  timeoutMs: env.HTTP_TIMEOUT_MS,
  maxAttempts,
  baseDelayMs: env.FLUSH_BASE_DELAY_MS,
  maxDelayMs: env.FLUSH_MAX_DELAY_MS,
  onRetry: (info) => logger.warn('Retrying Analytics', info),
  fetchImpl: fetchForApiAuth(env.API_AUTH, {
    region: kafkaEnv.AWS_REGION,
    apiTokenParameter: env.API_TOKEN_PARAMETER,
  }),
});
// Connected on the first DLQ message (flush publishes only on failures): a cold start neither
// waits for nor fails on a connection it may not use.
const kafka = await createKafka(kafkaEnv, { logger });
const producer = createProducer(kafka);
const connectOnce = lazyConnect(producer);
const send = async (record: ProducerRecord) => (await connectOnce(), producer.send(record));

const deps: FlushDeps = {
  store: new S3StagingStore(s3, env.STAGING_BUCKET),
  poster: createAnalyticsPoster({ http, baseUrl: env.ANALYTICS_API_BASE_URL, maxAttempts }),
  dlq: new DlqPublisher({ send }, env.DLQ_TOPIC),
  topic: new DlqTopic(kafka, { send }, env.DLQ_TOPIC),
  metrics,
  logger,
  now: Date.now,
};

const limits = {
  maxRecordsPerPost: env.FLUSH_MAX_RECORDS_PER_POST,
  maxBytesPerPost: env.FLUSH_MAX_BYTES_PER_POST,
};

async function flush(event: unknown, context: Context) {
  const command = parseInvokeEvent(event);
  const remainingMs = context.getRemainingTimeInMillis();
  const settings = { limits, deadline: Date.now() + remainingMs - env.FLUSH_DEADLINE_MARGIN_MS };
  return executeCommand(deps, command, settings, () =>
    acquireLease({
      dynamodb,
      tableName: env.SYNC_STATE_TABLE,
      owner: context.awsRequestId || randomUUID(),
      // Outlives this invocation by a little, so a crashed owner blocks the next run only briefly.
      durationMs: remainingMs + 5_000,
    }),
  );
}

export const handler = middy(flush)
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics, { captureColdStartMetric: true }));
