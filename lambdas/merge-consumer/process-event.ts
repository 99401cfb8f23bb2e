import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { MetricUnit as MetricUnitName } from '@aws-lambda-powertools/metrics/types';
import type { DlqPublisher } from '../shared/dlq';
import { mergeConsumerMetrics } from '../shared/pipeline';
import type { GroupCommitDeps } from './group-commit';
import { groupCommit } from './group-commit';
import type { InvalidRecord, RecordPosition } from './msk-event';
import { parseMskEvent } from './msk-event';

export interface MergeConsumerDeps extends GroupCommitDeps {
  dlq: Pick<DlqPublisher, 'publish'>;
  logger: Pick<Logger, 'info' | 'warn' | 'error' | 'resetKeys' | 'setCorrelationId'>;
  /** Powertools Metrics, narrowed so tests pass a plain object. */
  metrics: { addMetric(name: string, unit: MetricUnitName, value: number): unknown };
}

/**
 * One MSK invocation: invalid records to the DLQ, the valid ones through the group commit, and a
 * partial batch response naming, per partition, the first record that could not be completed.
 */
export async function processMskEvent(
  event: unknown,
  deps: MergeConsumerDeps,
): Promise<KafkaBatchResponse> {
  const parsed = parseMskEvent(event);
  const { logger, metrics } = deps;
  const count = (name: string, value: number) => metrics.addMetric(name, MetricUnit.Count, value);
  // One correlation id per invocation, not per record: the messageId of its first valid record
  // (the logged batchId and offsets find the rest); none when no record is valid.
  logger.resetKeys();
  const first = parsed.valid[0];
  if (first !== undefined) logger.setCorrelationId(first.envelope.messageId);
  count(mergeConsumerMetrics.recordsReceived, parsed.positions.length);
  if (parsed.positions.length === 0) return { batchItemFailures: [] };

  const undelivered = await sendToDlq(parsed.invalid, deps);

  const batchDate = new Date(Math.max(...parsed.positions.map((position) => position.timestamp)));
  const commit = await groupCommit(
    { records: parsed.valid, ranges: parsed.ranges, batchDate },
    deps,
  );
  const { batchId, stagingKey, object, recordsStaged: staged, duplicates } = commit;
  count(mergeConsumerMetrics.recordsDuplicate, duplicates);
  count(mergeConsumerMetrics.recordsStaged, staged);
  count(mergeConsumerMetrics.batchesStaged, object === 'created' ? 1 : 0);
  const sizes = { records: parsed.positions.length, invalid: parsed.invalid.length };
  const outcome = { staged, duplicates, failed: commit.failed.length };
  logger.info('batch merged', { batchId, stagingKey, object, ...sizes, ...outcome });
  if (commit.failed.length > 0) {
    logger.error('records could not be staged; their partitions will be re-delivered', {
      batchId,
      errors: commit.errors.map(String),
      messageIds: commit.failed.slice(0, 20).map((record) => record.envelope.messageId),
    });
  }
  return buildBatchResponse([...undelivered, ...commit.failed]);
}

/** Returns the invalid records that could NOT be published (they must be re-delivered). */
async function sendToDlq(
  invalid: readonly InvalidRecord[],
  deps: MergeConsumerDeps,
): Promise<readonly InvalidRecord[]> {
  if (invalid.length === 0) return [];
  deps.metrics.addMetric(mergeConsumerMetrics.recordsInvalid, MetricUnit.Count, invalid.length);
  for (const { topic, partition, offset, issues, reason } of invalid) {
    // Position and schema issue paths/codes only: the value, and the reason's schema messages,
    // may quote an e-mail address. The DLQ message keeps the full reason.
    const why = issues.length > 0 ? { issues } : { reason };
    deps.logger.warn('invalid record sent to the DLQ', { topic, partition, offset, ...why });
  }
  try {
    const entries = invalid.map(({ topic, partition, offset, reason, raw: record }) => {
      const origin = { topic, partition, offset: String(offset) };
      return { stage: 'merge' as const, reason, attempts: 1, origin, record };
    });
    await deps.dlq.publish(entries);
    deps.metrics.addMetric(mergeConsumerMetrics.dlqMessages, MetricUnit.Count, invalid.length);
    return [];
  } catch (error) {
    deps.logger.error('DLQ publish failed; the invalid records will be re-delivered', {
      error: String(error),
    });
    return invalid;
  }
}

/**
 * As AWS documents it (https://docs.aws.amazon.com/lambda/latest/dg/kafka-retry-configurations.html#kafka-partial-batch-response)
 * and Powertools Python types it (`KafkaItemIdentifier`, utilities/batch/types.py); Lambda fails
 * the whole batch on any other key name. Powertools TypeScript's BatchProcessor has no Kafka type.
 */
export interface KafkaBatchResponse {
  batchItemFailures: { itemIdentifier: { partition: string; offset: number } }[];
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
    lowest.set(id, Math.min(offset, lowest.get(id) ?? offset));
  }
  return {
    batchItemFailures: [...lowest.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([partition, offset]) => ({ itemIdentifier: { partition, offset } })),
  };
}
