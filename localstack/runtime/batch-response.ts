import { z } from 'zod';
import type { SourceRecord } from './msk-event';
import { topicPartitionKey } from './msk-event';

/** `ReportBatchItemFailures` response of a Kafka-triggered function. */
const BatchResponseSchema = z.object({
  batchItemFailures: z
    .array(
      z.object({
        itemIdentifier: z.object({
          'topic-partition': z.string().min(1),
          offset: z.union([z.number().int().nonnegative(), z.string().regex(/^\d+$/)]),
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
 * null/empty → every record succeeded; a list → everything from the lowest failed offset of each
 * listed partition is retried; anything unparseable, or naming a record not in the batch, fails
 * the whole batch.
 */
export function interpretBatchResponse(
  response: unknown,
  batch: readonly SourceRecord[],
): BatchOutcome {
  if (response === null || response === undefined) return { kind: 'success' };
  const parsed = BatchResponseSchema.safeParse(response);
  if (!parsed.success) return { kind: 'malformed', reason: parsed.error.message };
  const failures = parsed.data.batchItemFailures ?? [];
  if (failures.length === 0) return { kind: 'success' };

  const offsetsInBatch = new Set(
    batch.map((record) => `${topicPartitionKey(record)}@${record.offset}`),
  );
  const firstFailedOffset = new Map<string, bigint>();
  for (const { itemIdentifier } of failures) {
    const key = itemIdentifier['topic-partition'];
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
