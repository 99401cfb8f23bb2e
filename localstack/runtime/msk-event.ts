import { randomUUID } from 'node:crypto';
import type { MSKEvent, MSKRecord, MSKRecordHeader, SelfManagedKafkaEvent } from 'aws-lambda';
import type { IHeaders, KafkaMessage } from 'kafkajs';
import { z } from 'zod';

/**
 * A record as Lambda writes it. DefinitelyTyped's MSKRecord makes `key` and `value` required
 * strings, but AWS leaves a null key out (or sends `"key": null`) and a tombstone's `value` too
 * (aws-lambda-go `KafkaRecord`: `json:"key,omitempty"`, `json:"value,omitempty"`).
 */
export type KafkaEventRecord = Omit<MSKRecord, 'key' | 'value'> & { key?: string; value?: string };
type WithRecords<E> = Omit<E, 'records'> & { records: Record<string, KafkaEventRecord[]> };

/** One Kafka record held by the event source mapping, in the order it was consumed. */
export interface SourceRecord {
  topic: string;
  partition: number;
  offset: bigint;
  message: KafkaMessage;
  /** When the mapping read it; the batching window runs from the oldest buffered record. */
  receivedAt: number;
}

/** `"<topic>-<partition>"`: the key of `records` in the MSK event and of batch item failures. */
export function topicPartitionKey(record: Pick<SourceRecord, 'topic' | 'partition'>): string {
  return `${record.topic}-${record.partition}`;
}

/** What a Kafka mapping delivers: an MSK event, or a self-managed Kafka one (no `eventSourceArn`). */
export type MskLambdaEvent = WithRecords<MSKEvent>;
export type KafkaLambdaEvent = MskLambdaEvent | WithRecords<SelfManagedKafkaEvent>;

export interface EventSourceIdentity {
  eventSourceArn: string;
  bootstrapServers: string;
  /** Default `aws:kafka`; the `localstack` CDK target deploys a self-managed Kafka mapping. */
  eventSource?: 'aws:kafka' | 'SelfManagedKafka';
}

/**
 * The event Lambda's Kafka event source mapping delivers, field by field as in the AWS samples of
 * test/conformance/kafka/events: records grouped by topic-partition in offset order, key and value
 * base64, each header as `{ name: [signed bytes] }`, a null key and a null value (tombstone) left
 * out, `timestampType` as the broker reports it. A self-managed Kafka event has
 * `eventSource: 'SelfManagedKafka'` and no `eventSourceArn`.
 */
export function buildMskEvent(
  records: readonly SourceRecord[],
  source: EventSourceIdentity,
): KafkaLambdaEvent {
  const grouped: Record<string, KafkaEventRecord[]> = {};
  for (const record of records) {
    const key = topicPartitionKey(record);
    (grouped[key] ??= []).push(toMskRecord(record));
  }
  const { eventSourceArn, bootstrapServers } = source;
  return source.eventSource === 'SelfManagedKafka'
    ? { eventSource: 'SelfManagedKafka', bootstrapServers, records: grouped }
    : { eventSource: 'aws:kafka', eventSourceArn, bootstrapServers, records: grouped };
}

function toMskRecord(record: SourceRecord): KafkaEventRecord {
  const { message } = record;
  return {
    topic: record.topic,
    partition: record.partition,
    offset: Number(record.offset),
    timestamp: Number(message.timestamp),
    timestampType: timestampTypeOf(message),
    ...(message.key === null ? {} : { key: message.key.toString('base64') }),
    ...(message.value === null ? {} : { value: message.value.toString('base64') }),
    headers: toMskHeaders(message.headers),
  };
}

/**
 * kafkajs keeps the record batch's timestamp type (attribute bit 3) on each message as
 * `batchContext.timestampType` (1 = LOG_APPEND_TIME, the broker's time for a topic with
 * `message.timestamp.type=LogAppendTime`), but leaves it out of its types.
 */
function timestampTypeOf(message: KafkaMessage): MSKRecord['timestampType'] {
  const { batchContext } = message as { batchContext?: { timestampType?: number } };
  return batchContext?.timestampType === 1 ? 'LOG_APPEND_TIME' : 'CREATE_TIME';
}

function toMskHeaders(headers: IHeaders | undefined): MSKRecordHeader[] {
  const result: MSKRecordHeader[] = [];
  for (const [name, raw] of Object.entries(headers ?? {})) {
    const values = Array.isArray(raw) ? raw : [raw];
    for (const value of values) {
      if (value === undefined) continue;
      const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
      // Java's signed bytes, as Lambda writes them (aws-lambda-go JSONNumberBytes: int8).
      result.push({ [name]: [...new Int8Array(bytes)] });
    }
  }
  return result;
}

/**
 * "Lambda passes all of the records in the batch to the function in a single call, up to the
 * payload limit for synchronous invocation (6 MB)"
 * (https://docs.aws.amazon.com/lambda/latest/dg/API_EventSourceMappingConfiguration.html, BatchSize).
 */
export const MAX_INVOCATION_PAYLOAD_BYTES = 6 * 1024 * 1024;

const recordBytes = new WeakMap<SourceRecord, number>();

/**
 * Bytes a record adds to an event: its JSON and the comma after it (memoised: it is asked often),
 * and its partition's `"<topic>-<partition>":[],` if it is the partition's first. From the empty
 * event's size on, an upper bound of any event's size.
 */
export function eventBytes(record: SourceRecord, firstOfPartition: boolean): number {
  let bytes = recordBytes.get(record);
  if (bytes === undefined) {
    bytes = Buffer.byteLength(JSON.stringify(toMskRecord(record))) + 1;
    recordBytes.set(record, bytes);
  }
  const partition = Buffer.byteLength(JSON.stringify(topicPartitionKey(record))) + 4;
  return bytes + (firstOfPartition ? partition : 0);
}

/**
 * `ReportBatchItemFailures` response of a Kafka-triggered function, as AWS documents it:
 * `{ "batchItemFailures": [{ "itemIdentifier": { "partition": "topic-partition_number", "offset": 100 } }] }`
 * (https://docs.aws.amazon.com/lambda/latest/dg/kafka-retry-configurations.html#kafka-partial-batch-response).
 * Strict objects: an identifier with another key name (`topic-partition`), a null one or an empty
 * partition fails the whole batch, as AWS documents for stream sources
 * (https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-batchfailurereporting.html#streams-batchfailurereporting-conditions).
 */
const ItemIdentifierSchema = z.strictObject({
  partition: z.string().min(1),
  offset: z.number().int().nonnegative(),
});
const BatchResponseSchema = z.object({
  batchItemFailures: z.array(z.object({ itemIdentifier: ItemIdentifierSchema })).nullish(),
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

  const inBatch = new Set(batch.map((record) => `${topicPartitionKey(record)}@${record.offset}`));
  const firstFailedOffset = new Map<string, bigint>();
  for (const { itemIdentifier } of failures) {
    const key = itemIdentifier.partition;
    const offset = BigInt(itemIdentifier.offset);
    const reason = `batchItemFailures names ${key}@${offset}, which is not in the batch`;
    if (!inBatch.has(`${key}@${offset}`)) return { kind: 'malformed', reason };
    const current = firstFailedOffset.get(key);
    if (current === undefined || offset < current) firstFailedOffset.set(key, offset);
  }
  return { kind: 'partial', firstFailedOffset };
}

/**
 * Why the mapping gave a record up. `MaximumPayloadSizeExceeded` is a record that alone makes an
 * event over the invocation payload limit, so it was never invoked
 * (https://docs.aws.amazon.com/lambda/latest/dg/kafka-on-failure.html).
 */
export type FailureCondition =
  'RetryAttemptsExhausted' | 'RecordAgeExceeded' | 'MaximumPayloadSizeExceeded';

/**
 * One message per failed record on a Kafka on-failure destination, keyed by the record's own key
 * (https://docs.aws.amazon.com/lambda/latest/dg/kafka-on-failure-destination.html#kafka-ofd-record-format,
 * copied in test/conformance/kafka/on-failure-destination-record.json); `responseContext` is null
 * when the function never ran on the record (AWS: "null if MaximumPayloadSizeExceeded").
 */
export function buildOnFailureMessages(args: {
  records: readonly SourceRecord[];
  source: EventSourceIdentity;
  functionArn: string;
  condition: FailureCondition;
  invokeCount: number;
  now?: Date;
}) {
  const timestamp = (args.now ?? new Date()).toISOString();
  return args.records.map((record) => {
    const payload = buildMskEvent([record], args.source);
    return {
      key: record.message.key,
      value: {
        requestContext: {
          requestId: randomUUID(),
          functionArn: args.functionArn,
          condition: args.condition,
          approximateInvokeCount: args.invokeCount,
        },
        responseContext:
          args.invokeCount > 0
            ? { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' }
            : null,
        version: '1.0' as const,
        timestamp,
        KafkaBatchInfo: {
          batchSize: 1,
          ...('eventSourceArn' in payload ? { eventSourceArn: payload.eventSourceArn } : {}),
          bootstrapServers: payload.bootstrapServers,
          payloadSize: Buffer.byteLength(JSON.stringify(payload)),
          recordInfo: {
            offset: String(record.offset),
            timestamp: new Date(Number(record.message.timestamp)).toISOString(),
          },
        },
        payload,
      },
    };
  });
}

export type OnFailureRecord = ReturnType<typeof buildOnFailureMessages>[number]['value'];
