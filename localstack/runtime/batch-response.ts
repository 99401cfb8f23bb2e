import { z } from 'zod';
import type { SourceRecord } from './msk-event';
import { topicPartitionKey } from './msk-event';

/**
 * `ReportBatchItemFailures` response of a Kafka-triggered function, as AWS documents it:
 * `{ "batchItemFailures": [{ "itemIdentifier": { "partition": "topic-partition_number", "offset": 100 } }] }`
 * (https://docs.aws.amazon.com/lambda/latest/dg/kafka-retry-configurations.html#kafka-partial-batch-response).
 * Strict objects: an identifier with another key name (`topic-partition`), a null one or an empty
 * partition fails the whole batch, as AWS documents for stream sources
 * (https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-batchfailurereporting.html#streams-batchfailurereporting-conditions).
 */
const BatchResponseSchema = z.object({
  batchItemFailures: z
    .array(
      z.object({
        itemIdentifier: z.strictObject({
          partition: z.string().min(1),
          offset: z.number().int().nonnegative(),
        }),
      }),
    )
    .nullish(),
});

export type BatchOutcome =
  | { kind: 'success' }
  /** Per topic-partition, the lowest offset the function reported as failed. */
  | { kind: 'partial'; firstFailedOffset: Map<string, bigint> }
  | { kind: 'malformed'; reason: string };

/**
 * Reads a function's response the way Lambda does for a mapping with ReportBatchItemFailures:
 * null, empty JSON or an empty/null list → every record succeeded; a list → everything from the
 * lowest failed offset of each listed partition is retried; anything else, or naming a
 * partition/offset not in the invoked event, fails the whole batch.
 */
export function interpretBatchResponse(
  response: unknown,
  batch: readonly SourceRecord[],
): BatchOutcome {
  if (response === null || response === undefined) return { kind: 'success' };
  const parsed = BatchResponseSchema.safeParse(response);
  if (!parsed.success) return { kind: 'malformed', reason: z.prettifyError(parsed.error) };
  const failures = parsed.data.batchItemFailures ?? [];
  if (failures.length === 0) return { kind: 'success' };

  const offsetsInBatch = new Set(
    batch.map((record) => `${topicPartitionKey(record)}@${record.offset}`),
  );
  const firstFailedOffset = new Map<string, bigint>();
  for (const { itemIdentifier } of failures) {
    const key = itemIdentifier.partition;
    const offset = BigInt(itemIdentifier.offset);
    if (!offsetsInBatch.has(`${key}@${offset}`)) {
      return {
        kind: 'malformed',
        reason: `batchItemFailures names ${key}@${offset}, which is not in the batch`,
      };
    }
    const current = firstFailedOffset.get(key);
    if (current === undefined || offset < current) firstFailedOffset.set(key, offset);
  }
  return { kind: 'partial', firstFailedOffset };
}
