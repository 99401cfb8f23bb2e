import { Logger } from '@aws-lambda-powertools/logger';
import type { KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { processMskEvent } from '../../lambdas/merge-consumer/process-event';
import {
  InMemoryClaimStore,
  InMemoryStagingStore,
} from '../../lambdas/merge-consumer/test-support/in-memory-stores';
import { customer, customerEnvelope } from '../../lambdas/merge-consumer/test-support/msk-event';
import { interpretBatchResponse } from './msk-event';
import type { SourceRecord } from './msk-event';
import { buildMskEvent } from './msk-event';
import { buildOnFailureMessages } from './msk-event';
import type { CorpusRecord } from '../../test/conformance/kafka-corpus';
import { tombstoneMessage } from '../../lambdas/shared/envelope';
import {
  itEachCorpusEvent,
  kafkaBatchResponseCases,
  kafkaCorpusEvents,
  kafkaOnFailureRecordSample,
  shapeOf,
} from '../../test/conformance/kafka-corpus';

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
    expect(event).toMatchObject({ eventSource: 'aws:kafka', ...source });
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
    expect(tombstone).not.toHaveProperty('value');
  });
});

/** The kafkajs message a broker would hand the mapping for this corpus record. */
function sourceRecordOf(corpusRecord: CorpusRecord): SourceRecord {
  const bytes = (base64: unknown): Buffer | null =>
    typeof base64 === 'string' ? Buffer.from(base64, 'base64') : null;
  const headers: Record<string, Buffer[]> = {};
  for (const header of corpusRecord.headers)
    for (const [name, signed] of Object.entries(header))
      (headers[name] ??= []).push(Buffer.from(signed.map((byte) => byte & 0xff)));
  return record(corpusRecord.topic, corpusRecord.partition, corpusRecord.offset, {
    key: bytes(corpusRecord.key),
    value: bytes(corpusRecord.value),
    timestamp: String(corpusRecord.timestamp),
    headers,
    // What kafkajs keeps of the record batch attributes (see timestampTypeOf).
    ...{
      batchContext: { timestampType: corpusRecord.timestampType === 'LOG_APPEND_TIME' ? 1 : 0 },
    },
  });
}

describe('buildMskEvent against the AWS events of the corpus', () => {
  itEachCorpusEvent('is rebuilt field by field', ({ event, records }) => {
    const built = buildMskEvent(records.map(sourceRecordOf), {
      eventSourceArn: event.eventSourceArn ?? 'unused',
      bootstrapServers: event.bootstrapServers,
      eventSource: event.eventSource,
    });
    // AWS leaves a null key or value out or sends it as null; the emulator leaves it out. Schema
    // registry metadata comes only with a schema registry config, which the pipeline has not.
    const expected = Object.fromEntries(
      Object.entries(event.records).map(([key, list]) => [
        key,
        list.map((corpusRecord) =>
          Object.fromEntries(
            Object.entries(corpusRecord)
              .filter(([field, value]) => value !== null && !field.endsWith('SchemaMetadata'))
              .map(([field, value]) =>
                // The docs' self-managed sample has a key with non-zero padding bits
                // ("…1234=="), which no encoder writes: compare canonical base64.
                (field === 'key' || field === 'value') && typeof value === 'string'
                  ? [field, Buffer.from(value, 'base64').toString('base64')]
                  : [field, value],
              ),
          ),
        ),
      ]),
    );
    expect(built).toEqual({ ...event, records: expected });
    expect(Object.keys(built).sort()).toEqual(Object.keys(event).sort());
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
      // c-1 deleted after its update, c-9 deleted outright: tombstones as the pollers publish them.
      records.push(deleteRecord(3, 'c-1'), deleteRecord(4, 'c-9'));
      const response = await processMskEvent(buildMskEvent(records, { ...source, eventSource }), {
        claims: new InMemoryClaimStore(),
        staging,
        concurrency: 2,
        now: () => new Date(),
        dlq: { publish: async () => [] },
        logger: new Logger({ logLevel: 'SILENT' }),
        metrics: { addMetric: () => undefined },
      });
      expect(response).toEqual({ batchItemFailures: [] });
      const [batch] = [...staging.objects.values()];
      expect(batch?.customers.map((item) => item.id)).toEqual(['c-2']);
      expect(batch?.deletedCustomers?.map((item) => item.id)).toEqual(['c-1', 'c-9']);
    },
  );
});

/** A delete of `id` as the pollers publish it (`tombstoneMessage`), read back by kafkajs. */
function deleteRecord(offset: number, id: string): SourceRecord {
  const deleted = { id, deletedAt: '2026-01-15T09:30:00.000Z' };
  const message = tombstoneMessage({
    eventType: 'CUSTOMER',
    deleted,
    source: 'crm',
    syncType: 'FULL',
  });
  return record('customer_data', 0, offset, {
    key: Buffer.from(message.key),
    value: null,
    headers: message.headers,
  });
}

describe('a delete through the emulator', () => {
  const corpus = kafkaCorpusEvents().find((entry) => entry.name === 'derived-tombstones');
  // Offset 1 of derived-tombstones: aws-lambda-go's record without `value` (`json:"value,omitempty"`).
  const awsTombstone = corpus && 'records' in corpus ? corpus.records[1] : undefined;
  (awsTombstone ? it : it.skip)(
    "is delivered in AWS's tombstone shape: no value field, the headers as signed byte arrays",
    () => {
      const built = buildMskEvent([deleteRecord(3, 'c-1')], source).records['customer_data-0']?.[0];
      expect(Object.keys(built ?? {}).sort()).toEqual(Object.keys(awsTombstone ?? {}).sort());
      expect(built).not.toHaveProperty('value');
      expect(built?.headers).toContainEqual({ op: [...Buffer.from('delete')] });
      for (const header of built?.headers ?? [])
        for (const bytes of Object.values(header))
          expect(bytes.every((byte) => Number.isInteger(byte) && byte >= -128 && byte <= 127)).toBe(
            true,
          );
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

describe('buildOnFailureMessages', () => {
  const failed = [record('t', 0, 10), record('t', 0, 11, { key: null }), record('t', 1, 5)];
  const messages = buildOnFailureMessages({
    records: failed,
    source,
    functionArn: 'arn:aws:lambda:eu-west-1:000000000000:function:merge-consumer',
    condition: 'RetryAttemptsExhausted',
    invokeCount: 4,
    now: new Date('2026-01-01T00:00:00Z'),
  });

  it('writes one message per failed record, keyed by its own key, with the record as payload', () => {
    expect(messages.map(({ key }) => key?.toString() ?? null)).toEqual(['key-10', null, 'key-5']);
    const [first] = messages;
    expect(first?.value).toMatchObject({
      requestContext: { condition: 'RetryAttemptsExhausted', approximateInvokeCount: 4 },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      version: '1.0',
      timestamp: '2026-01-01T00:00:00.000Z',
      KafkaBatchInfo: {
        batchSize: 1,
        eventSourceArn: source.eventSourceArn,
        bootstrapServers: source.bootstrapServers,
        payloadSize: Buffer.byteLength(JSON.stringify(buildMskEvent([record('t', 0, 10)], source))),
        recordInfo: { offset: '10', timestamp: new Date(1_700_000_000_010).toISOString() },
      },
      payload: buildMskEvent([record('t', 0, 10)], source),
    });
  });

  it('has the keys and types of the record AWS documents for a Kafka destination', () => {
    // The sample's topic, so that the keys of `payload.records` compare too.
    const [message] = buildOnFailureMessages({
      records: [record('my-topic', 0, 100)],
      source,
      functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:my-function:$LATEST',
      condition: 'RetryAttemptsExhausted',
      invokeCount: 3,
    });
    expect(shapeOf(message?.value)).toEqual(shapeOf(kafkaOnFailureRecordSample()));
  });

  it('has a null responseContext for a record the function never ran on', () => {
    const [never] = buildOnFailureMessages({
      records: [record('t', 0, 1)],
      source,
      functionArn: 'arn:aws:lambda:eu-west-1:000000000000:function:merge-consumer',
      condition: 'MaximumPayloadSizeExceeded',
      invokeCount: 0,
    });
    expect(never?.value.responseContext).toBeNull();
  });
});
