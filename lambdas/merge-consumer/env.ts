import { z } from 'zod';
import { functionNames, pipeline, topics } from '../shared/pipeline';

/** merge-consumer's own variables (Kafka's are in KafkaEnvSchema). */
export const MergeConsumerEnvSchema = z.object({
  IDEMPOTENCY_TABLE: z.string().min(1),
  STAGING_BUCKET: z.string().min(1),
  DLQ_TOPIC: z.string().min(1).default(topics.dlq),
  IDEMPOTENCY_CONCURRENCY: z.coerce
    .number()
    .int()
    .positive()
    .default(pipeline.mergeConsumer.idempotencyConcurrency),
  /** Claims per BatchWriteItem request (DynamoDB's limit is 25). */
  IDEMPOTENCY_CLAIMS_PER_REQUEST: z.coerce
    .number()
    .int()
    .min(1)
    .max(25)
    .default(pipeline.mergeConsumer.claimsPerRequest),
  /** Set locally (S3Mock): path-style addressing, as loopback has no per-bucket host names. */
  AWS_ENDPOINT_URL_S3: z.string().min(1).optional(),
  IDEMPOTENCY_TTL_SECONDS: z.coerce
    .number()
    .int()
    .positive()
    .default(pipeline.mergeConsumer.idempotencyTtlSeconds),
  POWERTOOLS_METRICS_NAMESPACE: z.string().min(1).default(pipeline.metrics.namespace),
  POWERTOOLS_SERVICE_NAME: z.string().min(1).default(functionNames.mergeConsumer),
});
export type MergeConsumerEnv = z.output<typeof MergeConsumerEnvSchema>;
