import { randomUUID } from 'node:crypto';
import type { KafkaLambdaEvent, SourceRecord } from './msk-event';
import { topicPartitionKey } from './msk-event';

export type FailureCondition = 'RetryAttemptsExhausted' | 'RecordAgeExceeded';

/**
 * What the mapping publishes to its on-failure destination (`analytics_dlq`) for a batch it gave
 * up on. Mirrors AWS's invocation record for Kafka event sources (requestContext,
 * responseContext, KafkaBatchInfo with per-partition first/last offsets and timestamps). Like
 * AWS's S3 destination it also carries the original event as `payload` (omitted when too large
 * for one Kafka message), so an operator can redrive it; `errorMessage` is a local addition.
 */
export interface OnFailureRecord {
  version: '1.0';
  timestamp: string;
  requestContext: {
    requestId: string;
    functionArn: string;
    condition: FailureCondition;
    approximateInvokeCount: number;
  };
  responseContext: {
    statusCode: number;
    executedVersion: string;
    functionError?: 'Unhandled';
    errorMessage?: string;
  };
  KafkaBatchInfo: {
    batchSize: number;
    /** Absent for a self-managed Kafka mapping, whose events carry no ARN. */
    eventSourceArn?: string;
    bootstrapServers: string;
    payloadSize: number;
    recordsInfo: Record<
      string,
      {
        firstRecordOffset: string;
        lastRecordOffset: string;
        firstRecordTimestamp: string;
        lastRecordTimestamp: string;
      }
    >;
  };
  payload?: KafkaLambdaEvent;
}

/** Kafka's default max message size is 1 MiB; leave room for the rest of the record. */
const MAX_EMBEDDED_PAYLOAD_BYTES = 768 * 1024;

export function buildOnFailureRecord(args: {
  records: readonly SourceRecord[];
  event: KafkaLambdaEvent;
  functionArn: string;
  condition: FailureCondition;
  invokeCount: number;
  errorMessage?: string;
  now?: Date;
}): OnFailureRecord {
  const recordsInfo: OnFailureRecord['KafkaBatchInfo']['recordsInfo'] = {};
  for (const record of args.records) {
    const key = topicPartitionKey(record);
    const timestamp = new Date(Number(record.message.timestamp)).toISOString();
    const info = recordsInfo[key];
    if (!info) {
      recordsInfo[key] = {
        firstRecordOffset: String(record.offset),
        lastRecordOffset: String(record.offset),
        firstRecordTimestamp: timestamp,
        lastRecordTimestamp: timestamp,
      };
    } else {
      info.lastRecordOffset = String(record.offset);
      info.lastRecordTimestamp = timestamp;
    }
  }
  const payloadSize = Buffer.byteLength(JSON.stringify(args.event));
  const invoked = args.invokeCount > 0;
  return {
    version: '1.0',
    timestamp: (args.now ?? new Date()).toISOString(),
    requestContext: {
      requestId: randomUUID(),
      functionArn: args.functionArn,
      condition: args.condition,
      approximateInvokeCount: args.invokeCount,
    },
    responseContext: {
      statusCode: invoked ? 200 : 0,
      executedVersion: '$LATEST',
      ...(invoked ? { functionError: 'Unhandled' as const } : {}),
      ...(args.errorMessage === undefined ? {} : { errorMessage: args.errorMessage }),
    },
    KafkaBatchInfo: {
      batchSize: args.records.length,
      ...('eventSourceArn' in args.event ? { eventSourceArn: args.event.eventSourceArn } : {}),
      bootstrapServers: args.event.bootstrapServers,
      payloadSize,
      recordsInfo,
    },
    ...(payloadSize <= MAX_EMBEDDED_PAYLOAD_BYTES ? { payload: args.event } : {}),
  };
}
