import type { MSKEvent, MSKRecord, MSKRecordHeader, SelfManagedKafkaEvent } from 'aws-lambda';
import type { IHeaders, KafkaMessage } from 'kafkajs';

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

/** Which kind of Kafka mapping is emulated: MSK (`aws:kafka`) or self-managed Kafka. */
export type KafkaEventSourceKind = 'aws:kafka' | 'SelfManagedKafka';

/** What a Kafka mapping delivers: an MSK event, or a self-managed Kafka one (no `eventSourceArn`). */
export type MskLambdaEvent = WithRecords<MSKEvent>;
export type KafkaLambdaEvent = MskLambdaEvent | WithRecords<SelfManagedKafkaEvent>;

export interface EventSourceIdentity {
  eventSourceArn: string;
  bootstrapServers: string;
  /** Default `aws:kafka`; the `localstack` CDK target deploys a self-managed Kafka mapping. */
  eventSource?: KafkaEventSourceKind;
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
  source: EventSourceIdentity & { eventSource?: 'aws:kafka' },
): MskLambdaEvent;
export function buildMskEvent(
  records: readonly SourceRecord[],
  source: EventSourceIdentity,
): KafkaLambdaEvent;
export function buildMskEvent(
  records: readonly SourceRecord[],
  source: EventSourceIdentity,
): KafkaLambdaEvent {
  const grouped: Record<string, KafkaEventRecord[]> = {};
  for (const record of records) {
    const key = topicPartitionKey(record);
    (grouped[key] ??= []).push(toMskRecord(record));
  }
  if (source.eventSource === 'SelfManagedKafka') {
    return {
      eventSource: 'SelfManagedKafka',
      bootstrapServers: source.bootstrapServers,
      records: grouped,
    };
  }
  return {
    eventSource: 'aws:kafka',
    eventSourceArn: source.eventSourceArn,
    bootstrapServers: source.bootstrapServers,
    records: grouped,
  };
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

/** Bytes a record adds to an event: its JSON and the comma after it (memoised: it is asked often). */
export function eventRecordBytes(record: SourceRecord): number {
  let bytes = recordBytes.get(record);
  if (bytes === undefined) {
    bytes = Buffer.byteLength(JSON.stringify(toMskRecord(record))) + 1;
    recordBytes.set(record, bytes);
  }
  return bytes;
}

/** Bytes a record's partition adds to an event once: `"<topic>-<partition>":[],`. */
export function eventPartitionBytes(record: Pick<SourceRecord, 'topic' | 'partition'>): number {
  return Buffer.byteLength(JSON.stringify(topicPartitionKey(record))) + 4;
}

/** Bytes of an event with no records; with the two above, an upper bound of any event's size. */
export function emptyEventBytes(source: EventSourceIdentity): number {
  return Buffer.byteLength(JSON.stringify(buildMskEvent([], source)));
}
