import type { RecordPosition } from './msk-event';

/**
 * The partial batch response of a Kafka event source mapping, as AWS documents it
 * (https://docs.aws.amazon.com/lambda/latest/dg/kafka-retry-configurations.html#kafka-partial-batch-response:
 * `{ "partition": "topic-partition_number", "offset": 100 }`) and as Powertools for AWS Lambda
 * (Python) types it (`KafkaItemIdentifier` in aws_lambda_powertools/utilities/batch/types.py). Lambda
 * fails the whole batch on any other key name. Powertools TypeScript's BatchProcessor has no Kafka
 * event type, hence this hand-written type.
 */
export interface KafkaBatchItemFailure {
  itemIdentifier: { partition: string; offset: number };
}
export interface KafkaBatchResponse {
  batchItemFailures: KafkaBatchItemFailure[];
}

/**
 * One failure per partition, at the lowest offset that could not be completed: Lambda re-delivers
 * each failed partition from that offset, so everything after it in the partition comes back anyway.
 */
export function buildBatchResponse(
  failed: readonly Pick<RecordPosition, 'topic' | 'partition' | 'offset'>[],
): KafkaBatchResponse {
  const lowest = new Map<string, number>();
  for (const { topic, partition, offset } of failed) {
    const id = `${topic}-${partition}`;
    const current = lowest.get(id);
    if (current === undefined || offset < current) lowest.set(id, offset);
  }
  return {
    batchItemFailures: [...lowest.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([partition, offset]) => ({ itemIdentifier: { partition, offset } })),
  };
}
