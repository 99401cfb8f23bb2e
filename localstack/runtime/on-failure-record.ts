import { randomUUID } from 'node:crypto';
import type { EventSourceIdentity, KafkaLambdaEvent, SourceRecord } from './msk-event';
import { buildMskEvent } from './msk-event';

/**
 * Why the mapping gave a record up. `MaximumPayloadSizeExceeded` is a record that alone makes an
 * event over the invocation payload limit, so it was never invoked
 * (https://docs.aws.amazon.com/lambda/latest/dg/kafka-on-failure.html).
 */
export type FailureCondition =
  'RetryAttemptsExhausted' | 'RecordAgeExceeded' | 'MaximumPayloadSizeExceeded';

/**
 * One message on a Kafka on-failure destination, as AWS documents it
 * (https://docs.aws.amazon.com/lambda/latest/dg/kafka-on-failure-destination.html#kafka-ofd-record-format,
 * copied in test/conformance/kafka/on-failure-destination-record.json): one per failed record,
 * with the failure metadata, `recordInfo` for that record and the record itself as a one-record
 * event under `payload`.
 */
export interface OnFailureRecord {
  requestContext: {
    requestId: string;
    functionArn: string;
    condition: FailureCondition;
    approximateInvokeCount: number;
  };
  /** null when the function never ran on the record (AWS: "null if MaximumPayloadSizeExceeded"). */
  responseContext: {
    statusCode: number;
    executedVersion: string;
    functionError: 'Unhandled';
  } | null;
  version: '1.0';
  timestamp: string;
  KafkaBatchInfo: {
    batchSize: 1;
    /** Absent for a self-managed Kafka mapping, whose events carry no ARN. */
    eventSourceArn?: string;
    bootstrapServers: string;
    payloadSize: number;
    recordInfo: { offset: string; timestamp: string };
  };
  payload: KafkaLambdaEvent;
}

/** A message for the destination topic: AWS produces it with the failed record's own key. */
export interface OnFailureMessage {
  key: Buffer | null;
  value: OnFailureRecord;
}

export function buildOnFailureMessages(args: {
  records: readonly SourceRecord[];
  source: EventSourceIdentity;
  functionArn: string;
  condition: FailureCondition;
  invokeCount: number;
  now?: Date;
}): OnFailureMessage[] {
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
        version: '1.0',
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
