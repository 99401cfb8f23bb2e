import { z } from 'zod';
import { ApiAuthSchema } from '../shared/api-auth';
import { nonNegativeInt, positiveInt } from '../shared/config';
import { functionNames, pipeline, topics } from '../shared/pipeline';

/** flush's environment; tunables default to `pipeline.flush` / `pipeline.http`. */
export const FlushEnvSchema = z.object({
  STAGING_BUCKET: z.string().min(1),
  SYNC_STATE_TABLE: z.string().min(1),
  ANALYTICS_API_BASE_URL: z.url(),
  API_TOKEN_PARAMETER: z.string().min(1).optional(),
  API_AUTH: ApiAuthSchema,
  DLQ_TOPIC: z.string().min(1).default(topics.dlq),
  /** Set by the local stack (S3Mock); S3-compatible servers need path-style addressing. */
  AWS_ENDPOINT_URL_S3: z.url().optional(),
  FLUSH_MAX_RECORDS_PER_POST: positiveInt(pipeline.flush.maxRecordsPerPost),
  FLUSH_MAX_BYTES_PER_POST: positiveInt(pipeline.flush.maxBytesPerPost),
  FLUSH_MAX_ATTEMPTS: positiveInt(pipeline.flush.maxAttempts),
  FLUSH_BASE_DELAY_MS: positiveInt(pipeline.flush.baseDelayMs),
  FLUSH_MAX_DELAY_MS: positiveInt(pipeline.flush.maxDelayMs),
  FLUSH_DEADLINE_MARGIN_MS: nonNegativeInt(pipeline.flush.deadlineMarginMs),
  HTTP_TIMEOUT_MS: positiveInt(pipeline.http.timeoutMs),
  POWERTOOLS_SERVICE_NAME: z.string().min(1).default(functionNames.flush),
  POWERTOOLS_METRICS_NAMESPACE: z.string().min(1).default(pipeline.metrics.namespace),
});
