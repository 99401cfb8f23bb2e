import { z } from 'zod';
import { ApiAuthSchema } from '../shared/api-auth';
import { envNumber, nonNegativeInt, positiveInt } from '../shared/config';
import { pipeline, staging, tables, topics } from '../shared/pipeline';

/** Poller configuration (Kafka's is KafkaEnvSchema); tunables default to pipeline.ts. */
export const PollerEnvSchema = z.object({
  SOURCE_API_BASE_URL: z.url(),
  SYNC_STATE_TABLE: z.string().min(1).default(tables.syncState.name),
  STAGING_BUCKET: z.string().min(1).default(staging.bucket),
  API_TOKEN_PARAMETER: z.string().min(1).optional(),
  API_AUTH: ApiAuthSchema,
  CUSTOMER_TOPIC: z.string().min(1).default(topics.customers),
  PRODUCT_TOPIC: z.string().min(1).default(topics.products),
  DLQ_TOPIC: z.string().min(1).default(topics.dlq),
  POLLER_PAGE_SIZE: envNumber(z.number().int().min(1).max(500)).default(pipeline.poller.pageSize),
  POLLER_OVERLAP_SECONDS: nonNegativeInt(pipeline.poller.overlapSeconds),
  POLLER_DEADLINE_MARGIN_MS: nonNegativeInt(pipeline.poller.deadlineMarginMs),
  POLLER_SEND_BATCH_SIZE: positiveInt(pipeline.poller.sendBatchSize),
  POLLER_MAX_CLOCK_SKEW_SECONDS: nonNegativeInt(pipeline.poller.maxClockSkewSeconds),
  HTTP_TIMEOUT_MS: positiveInt(pipeline.http.timeoutMs),
  HTTP_MAX_ATTEMPTS: positiveInt(pipeline.http.maxAttempts),
  HTTP_BASE_DELAY_MS: nonNegativeInt(pipeline.http.baseDelayMs),
  HTTP_MAX_DELAY_MS: nonNegativeInt(pipeline.http.maxDelayMs),
  HTTP_BREAKER_THRESHOLD: positiveInt(pipeline.http.breakerThreshold),
  HTTP_BREAKER_COOLDOWN_MS: nonNegativeInt(pipeline.http.breakerCooldownMs),
  POWERTOOLS_METRICS_NAMESPACE: z.string().min(1).default(pipeline.metrics.namespace),
});
