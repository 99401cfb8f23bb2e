import type { KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { processMskEvent } from '../../lambdas/merge-consumer/process-event';
import {
  InMemoryClaimStore,
  InMemoryStagingStore,
} from '../../lambdas/merge-consumer/test-support/in-memory-stores';
import { customer, customerEnvelope } from '../../lambdas/merge-consumer/test-support/msk-event';
import { interpretBatchResponse } from './batch-response';
import type { SourceRecord } from './msk-event';
import { buildMskEvent } from './msk-event';
import { buildOnFailureRecord } from './on-failure-record';
import { kafkaBatchResponseCases } from '../../test/conformance/kafka-corpus';

function record(
  topic: string,
  partition: number,
  offset: number,
  message: Partial<KafkaMessage> = {},
): SourceRecord {
  return {
    topic,
    partition,
    offset: BigInt(offset),
    receivedAt: 0,
    message: {
      key: Buffer.from(`key-${offset}`),
      value: Buffer.from(`value-${offset}`),
      timestamp: String(1_700_000_000_000 + offset),
      attributes: 0,
      offset: String(offset),
      headers: {},
      ...message,
    } as KafkaMessage,
  };
}

const source = {
  eventSourceArn: 'arn:aws:kafka:eu-west-1:000000000000:cluster/local/1',
  bootstrapServers: '127.0.0.1:9092',
};

describe('buildMskEvent', () => {
  it('groups records by topic-partition with base64 key/value and header byte arrays', () => {
    const event = buildMskEvent(
      [
        record('customer_data', 0, 15, {
          headers: { trace: 'ab', multi: [Buffer.from([1, 2]), 'c'] },
        }),
        record('customer_data', 0, 16),
        record('customer_data', 2, 3, { key: null, value: null }),
      ],
      source,
    );
    expect(event.eventSource).toBe('aws:kafka');
    expect(event.eventSourceArn).toBe(source.eventSourceArn);
    expect(event.bootstrapServers).toBe(source.bootstrapServers);
    expect(Object.keys(event.records)).toEqual(['customer_data-0', 'customer_data-2']);
    const [first] = event.records['customer_data-0'] ?? [];
    expect(first).toEqual({
      topic: 'customer_data',
      partition: 0,
      offset: 15,
      timestamp: 1_700_000_000_015,
      timestampType: 'CREATE_TIME',
      key: Buffer.from('key-15').toString('base64'),
      value: Buffer.from('value-15').toString('base64'),
      headers: [{ trace: [97, 98] }, { multi: [1, 2] }, { multi: [99] }],
    });
    const tombstone = event.records['customer_data-2']?.[0];
    expect(tombstone).not.toHaveProperty('key');
    expect(tombstone?.value).toBe('');
  });
});

describe('buildMskEvent eventSource option', () => {
  it('builds the self-managed Kafka shape: eventSource SelfManagedKafka, no eventSourceArn', () => {
    const event = buildMskEvent([record('customer_data', 0, 1)], {
      ...source,
      eventSource: 'SelfManagedKafka',
    });
    expect(event.eventSource).toBe('SelfManagedKafka');
    expect(event).not.toHaveProperty('eventSourceArn');
    expect(event.bootstrapServers).toBe(source.bootstrapServers);
    expect(Object.keys(event.records)).toEqual(['customer_data-0']);
    expect(buildMskEvent([record('t', 0, 1)], { ...source, eventSource: 'aws:kafka' })).toEqual(
      buildMskEvent([record('t', 0, 1)], source),
    );
  });

  it.each(['aws:kafka', 'SelfManagedKafka'] as const)(
    'merge-consumer stages the records of a %s event built by the emulator',
    async (eventSource) => {
      const staging = new InMemoryStagingStore();
      const records = [1, 2].map((offset) => {
        const envelope = customerEnvelope(customer(`c-${offset}`));
        return record('customer_data', 0, offset, {
          key: Buffer.from(envelope.payload.id),
          value: Buffer.from(JSON.stringify(envelope)),
        });
      });
      const response = await processMskEvent(buildMskEvent(records, { ...source, eventSource }), {
        claims: new InMemoryClaimStore(),
        staging,
        concurrency: 2,
        now: () => new Date(),
        dlq: { publish: async () => [] },
        logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
        metrics: { addMetric: () => undefined },
      });
      expect(response).toEqual({ batchItemFailures: [] });
      const [batch] = [...staging.objects.values()];
      expect(batch?.customers.map((item) => item.id).sort()).toEqual(['c-1', 'c-2']);
    },
  );
});

describe('interpretBatchResponse', () => {
  const batch = [record('t', 0, 10), record('t', 0, 11), record('t', 0, 12), record('t', 1, 5)];

  it('keeps the lowest failed offset per partition', () => {
    const outcome = interpretBatchResponse(
      {
        batchItemFailures: [
          { itemIdentifier: { partition: 't-0', offset: 12 } },
          { itemIdentifier: { partition: 't-0', offset: 11 } },
        ],
      },
      batch,
    );
    expect(outcome).toEqual({ kind: 'partial', firstFailedOffset: new Map([['t-0', 11n]]) });
  });

  it('fails the whole batch on a response that is not an object', () => {
    expect(interpretBatchResponse('ok', batch).kind).toBe('malformed');
    expect(
      interpretBatchResponse({ batchItemFailures: [{ itemIdentifier: 'x' }] }, batch).kind,
    ).toBe('malformed');
  });

  const { event, cases } = kafkaBatchResponseCases();
  const corpusBatch = Object.values(event.records)
    .flat()
    .map((corpusRecord) => record(corpusRecord.topic, corpusRecord.partition, corpusRecord.offset));
  it.each(cases.map((c) => [c.name, c] as const))(
    'reads "%s" as AWS documents it',
    (_name, { response, outcome }) => {
      const read = interpretBatchResponse(response, corpusBatch);
      if (outcome.kind === 'whole-batch-failure') expect(read.kind).toBe('malformed');
      else if (outcome.kind === 'success') expect(read).toEqual({ kind: 'success' });
      else
        expect(read).toEqual({
          kind: 'partial',
          firstFailedOffset: new Map(
            Object.entries(outcome.retryFrom).map(([key, offset]) => [key, BigInt(offset)]),
          ),
        });
    },
  );
});

describe('buildOnFailureRecord', () => {
  it('describes the failed batch per partition and embeds the event', () => {
    const records = [record('t', 0, 10), record('t', 0, 11), record('t', 1, 5)];
    const event = buildMskEvent(records, source);
    const onFailure = buildOnFailureRecord({
      records,
      event,
      functionArn: 'arn:aws:lambda:eu-west-1:000000000000:function:merge-consumer',
      condition: 'RetryAttemptsExhausted',
      invokeCount: 4,
      errorMessage: 'boom',
      now: new Date('2026-01-01T00:00:00Z'),
    });
    expect(onFailure.requestContext).toMatchObject({
      condition: 'RetryAttemptsExhausted',
      approximateInvokeCount: 4,
    });
    expect(onFailure.responseContext).toEqual({
      statusCode: 200,
      executedVersion: '$LATEST',
      functionError: 'Unhandled',
      errorMessage: 'boom',
    });
    expect(onFailure.KafkaBatchInfo.batchSize).toBe(3);
    expect(onFailure.KafkaBatchInfo.recordsInfo).toEqual({
      't-0': {
        firstRecordOffset: '10',
        lastRecordOffset: '11',
        firstRecordTimestamp: new Date(1_700_000_000_010).toISOString(),
        lastRecordTimestamp: new Date(1_700_000_000_011).toISOString(),
      },
      't-1': {
        firstRecordOffset: '5',
        lastRecordOffset: '5',
        firstRecordTimestamp: new Date(1_700_000_000_005).toISOString(),
        lastRecordTimestamp: new Date(1_700_000_000_005).toISOString(),
      },
    });
    expect(onFailure.payload).toEqual(event);
  });
});
