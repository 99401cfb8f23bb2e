import { z } from 'zod';
import { positiveInt } from '../shared/config';
import { functionNames, pipeline, topics } from '../shared/pipeline';

/** merge-consumer's own variables (Kafka's are in KafkaEnvSchema). */
export const MergeConsumerEnvSchema = z.object({
  IDEMPOTENCY_TABLE: z.string().min(1),
  STAGING_BUCKET: z.string().min(1),
  DLQ_TOPIC: z.string().min(1).default(topics.dlq),
  IDEMPOTENCY_CONCURRENCY: positiveInt(pipeline.mergeConsumer.idempotencyConcurrency),
  /** Claims per BatchWriteItem request (DynamoDB's limit is 25). */
  IDEMPOTENCY_CLAIMS_PER_REQUEST: positiveInt(pipeline.mergeConsumer.claimsPerRequest).pipe(
    z.number().max(25),
  ),
  /** Set locally (S3Mock): path-style addressing, as loopback has no per-bucket host names. */
  AWS_ENDPOINT_URL_S3: z.string().min(1).optional(),
  IDEMPOTENCY_TTL_SECONDS: positiveInt(pipeline.mergeConsumer.idempotencyTtlSeconds),
  POWERTOOLS_METRICS_NAMESPACE: z.string().min(1).default(pipeline.metrics.namespace),
  POWERTOOLS_SERVICE_NAME: z.string().min(1).default(functionNames.mergeConsumer),
});
