import type { MSKEvent, MSKRecord, MSKRecordHeader, SelfManagedKafkaEvent } from 'aws-lambda';
import type { IHeaders, KafkaMessage } from 'kafkajs';

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
export type KafkaLambdaEvent = MSKEvent | SelfManagedKafkaEvent;

export interface EventSourceIdentity {
  eventSourceArn: string;
  bootstrapServers: string;
  /** Default `aws:kafka`; the `localstack` CDK target deploys a self-managed Kafka mapping. */
  eventSource?: KafkaEventSourceKind;
}

/**
 * The event Lambda's Kafka event source mapping delivers: records grouped by topic-partition in
 * offset order, key and value base64, each header as `{ name: [bytes] }`. A null key is left out
 * and a null value (tombstone) is an empty string, as Lambda does. A self-managed Kafka event has
 * `eventSource: 'SelfManagedKafka'` and no `eventSourceArn`.
 */
export function buildMskEvent(
  records: readonly SourceRecord[],
  source: EventSourceIdentity & { eventSource?: 'aws:kafka' },
): MSKEvent;
export function buildMskEvent(
  records: readonly SourceRecord[],
  source: EventSourceIdentity,
): KafkaLambdaEvent;
export function buildMskEvent(
  records: readonly SourceRecord[],
  source: EventSourceIdentity,
): KafkaLambdaEvent {
  const grouped: Record<string, MSKRecord[]> = {};
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

function toMskRecord(record: SourceRecord): MSKRecord {
  const { message } = record;
  const mskRecord: Omit<MSKRecord, 'key'> & { key?: string } = {
    topic: record.topic,
    partition: record.partition,
    offset: Number(record.offset),
    timestamp: Number(message.timestamp),
    timestampType: 'CREATE_TIME',
    ...(message.key === null ? {} : { key: message.key.toString('base64') }),
    value: message.value === null ? '' : message.value.toString('base64'),
    headers: toMskHeaders(message.headers),
  };
  return mskRecord as MSKRecord;
}

function toMskHeaders(headers: IHeaders | undefined): MSKRecordHeader[] {
  const result: MSKRecordHeader[] = [];
  for (const [name, raw] of Object.entries(headers ?? {})) {
    const values = Array.isArray(raw) ? raw : [raw];
    for (const value of values) {
      if (value === undefined) continue;
      const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
      result.push({ [name]: [...bytes] });
    }
  }
  return result;
}
