import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { fetchForApiAuth } from '../shared/api-auth';
import { parseEnv, powertools } from '../shared/config';
import { CircuitBreaker, HttpClient } from '../shared/http-client';
import type { HttpClientOptions } from '../shared/http-client';
import { DlqPublisher } from '../shared/dlq';
import { KafkaEnvSchema, createKafka, createProducer, lazyConnect } from '../shared/kafka';
import type { SourceName } from '../shared/pipeline';
import { functionNames, pollerMetrics, sources } from '../shared/pipeline';
import { S3StagingStore } from '../shared/staging-format';
import { SyncStateRepository } from '../shared/sync-state';
import { sdkClient } from '../shared/aws-sdk-retry';
import { PollerEnvSchema } from './environment';
import { runPoll } from './run-poll';
import type { MetricsSink, PollResult } from './run-poll';

/**
 * Everything a poller Lambda builds once per cold start (env, clients, token), and its middy
 * handler. poll-crm and poll-inventory differ only in `sourceName`.
 */
export async function createPollerLambda(
  sourceName: SourceName,
  env: Record<string, string | undefined> = process.env,
) {
  const config = parseEnv(PollerEnvSchema, env);
  const kafkaEnv = parseEnv(KafkaEnvSchema, env);
  const region = kafkaEnv.AWS_REGION;
  const service = sourceName === 'crm' ? functionNames.pollCrm : functionNames.pollInventory;
  const { logger, metrics } = powertools({
    POWERTOOLS_SERVICE_NAME: env.POWERTOOLS_SERVICE_NAME ?? service,
    POWERTOOLS_METRICS_NAMESPACE: config.POWERTOOLS_METRICS_NAMESPACE,
  });

  const apiFetch = fetchForApiAuth(config.API_AUTH, {
    region,
    apiTokenParameter: config.API_TOKEN_PARAMETER,
  });
  const httpSettings = {
    timeoutMs: config.HTTP_TIMEOUT_MS,
    maxAttempts: config.HTTP_MAX_ATTEMPTS,
    baseDelayMs: config.HTTP_BASE_DELAY_MS,
    maxDelayMs: config.HTTP_MAX_DELAY_MS,
    breakerThreshold: config.HTTP_BREAKER_THRESHOLD,
    breakerCooldownMs: config.HTTP_BREAKER_COOLDOWN_MS,
  };
  const { http } = createInstrumentedHttpClient(httpSettings, { metrics, logger }, apiFetch);
  const dynamodb = DynamoDBDocumentClient.from(sdkClient(DynamoDBClient, { region }));
  const syncState = new SyncStateRepository(dynamodb, config.SYNC_STATE_TABLE);
  const producer = createProducer(await createKafka(kafkaEnv, { logger }));
  const connectOnce = lazyConnect(producer);
  const dlq = new DlqPublisher(producer, config.DLQ_TOPIC);

  const s3Options = { region, forcePathStyle: !!env.AWS_ENDPOINT_URL_S3 };
  const ids = new S3StagingStore(sdkClient(S3Client, s3Options), config.STAGING_BUCKET);
  const deps = { http, producer, syncState, dlq, ids, logger, metrics, now: () => new Date() };
  const input = {
    source: sources[sourceName],
    baseUrl: config.SOURCE_API_BASE_URL,
    topic: sourceName === 'crm' ? config.CUSTOMER_TOPIC : config.PRODUCT_TOPIC,
    settings: {
      pageSize: config.POLLER_PAGE_SIZE,
      overlapSeconds: config.POLLER_OVERLAP_SECONDS,
      deadlineMarginMs: config.POLLER_DEADLINE_MARGIN_MS,
      sendBatchSize: config.POLLER_SEND_BATCH_SIZE,
      maxClockSkewSeconds: config.POLLER_MAX_CLOCK_SKEW_SECONDS,
    },
  };
  const poll = async (event: unknown, context: Context): Promise<PollResult> => {
    await connectOnce();
    const remainingTimeMs = () => context.getRemainingTimeInMillis();
    return runPoll({ ...deps, remainingTimeMs }, { ...input, event });
  };

  const handler = middy(poll)
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics, { captureColdStartMetric: true }));
  return { handler, producer };
}

export type InstrumentedHttpSettings = Pick<
  HttpClientOptions,
  'timeoutMs' | 'maxAttempts' | 'baseDelayMs' | 'maxDelayMs'
> & { breakerThreshold: number; breakerCooldownMs: number };

/**
 * An HttpClient with its own circuit breaker whose retries, errors and breaker trips become
 * metrics and log lines. Build once per cold start: the breaker's memory of failures must
 * outlive one invocation to protect a struggling API across schedules.
 */
export function createInstrumentedHttpClient(
  settings: InstrumentedHttpSettings,
  { metrics, logger }: { metrics: MetricsSink; logger: Pick<Logger, 'warn' | 'error'> },
  fetchImpl?: typeof fetch,
): { http: HttpClient; breaker: CircuitBreaker } {
  const count = (name: string) => metrics.addMetric(name, MetricUnit.Count, 1);
  const breaker = new CircuitBreaker({
    threshold: settings.breakerThreshold,
    cooldownMs: settings.breakerCooldownMs,
    onOpen: () => {
      count(pollerMetrics.circuitOpened);
      logger.error('circuit breaker opened', { cooldownMs: settings.breakerCooldownMs });
    },
  });
  const http = new HttpClient({
    ...settings,
    breaker,
    fetchImpl,
    onRetry: (info) => {
      count(pollerMetrics.apiRetries);
      logger.warn('source API attempt failed; retrying', info);
    },
    onError: () => count(pollerMetrics.apiErrors),
  });
  return { http, breaker };
}
