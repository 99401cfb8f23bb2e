import { Logger } from '@aws-lambda-powertools/logger';
import { describe, expect, it, vi } from 'vitest';
import { metricNames } from '../shared/pipeline';
import { processMskEvent } from './process-event';
import { mergeConsumerHarness as harness } from './test-support/harness';
import { customer, customerEnvelope, mskEvent, tombstone } from './test-support/msk-event';

const poisonEvent = () =>
  mskEvent([
    { topic: 'customer_data', partition: 0, offset: 40, value: customerEnvelope(customer('c-40')) },
    {
      topic: 'customer_data',
      partition: 0,
      offset: 41,
      value: '{"messageId":"m-1","payload":{"email":"secret@example.com"}',
    },
    { topic: 'customer_data', partition: 0, offset: 42, value: customerEnvelope(customer('c-42')) },
    { topic: 'customer_data', partition: 1, offset: 3, value: customerEnvelope(customer('c-3')) },
  ]);

describe('processMskEvent', () => {
  it('sends an invalid record to the DLQ with its origin, does not report it as failed, and stages the rest', async () => {
    const { deps, metrics, logs, dlqEntries, staging } = harness();
    const response = await processMskEvent(poisonEvent(), deps);
    expect(response).toEqual({ batchItemFailures: [] });
    expect(dlqEntries).toEqual([
      {
        stage: 'merge',
        reason: 'value is not JSON',
        attempts: 1,
        origin: { topic: 'customer_data', partition: 0, offset: '41' },
        record: '{"messageId":"m-1","payload":{"email":"secret@example.com"}',
      },
    ]);
    const [batch] = [...staging.objects.values()];
    expect(batch?.customers.map((item) => item.id).sort()).toEqual(['c-3', 'c-40', 'c-42']);
    expect(Object.fromEntries(metrics)).toMatchObject({
      [metricNames.recordsReceived]: 4,
      [metricNames.recordsInvalid]: 1,
      [metricNames.dlqMessages]: 1,
      [metricNames.recordsStaged]: 3,
      [metricNames.batchesStaged]: 1,
      [metricNames.recordsDuplicate]: 0,
    });
    expect(JSON.stringify(logs)).not.toContain('@example.com');
  });

  it('reports an invalid record as failed when the DLQ cannot take it, so it is re-delivered', async () => {
    const { deps, staging } = harness(async () => {
      throw new Error('broker down');
    });
    const response = await processMskEvent(poisonEvent(), deps);
    expect(response).toEqual({
      batchItemFailures: [{ itemIdentifier: { partition: 'customer_data-0', offset: 41 } }],
    });
    expect(staging.objects.size).toBe(1);
  });

  it('reports, per partition, the first record that could not be staged', async () => {
    const { deps } = harness();
    deps.staging.putIfAbsent = async () => {
      throw new Error('S3 unavailable');
    };
    const response = await processMskEvent(poisonEvent(), deps);
    expect(response.batchItemFailures).toEqual([
      { itemIdentifier: { partition: 'customer_data-0', offset: 40 } },
      { itemIdentifier: { partition: 'customer_data-1', offset: 3 } },
    ]);
  });

  it('stages a delete once: the same delete polled again (new messageId and offset) is a duplicate', async () => {
    const { deps, metrics, staging } = harness();
    const deleteAt = (offset: number) =>
      mskEvent([tombstone({ topic: 'customer_data', partition: 0, offset }, 'CUSTOMER', 'c-1')]);
    await processMskEvent(deleteAt(7), deps);
    const response = await processMskEvent(deleteAt(9), deps);
    expect(response.batchItemFailures).toEqual([]);
    expect([...staging.objects.values()].map((batch) => batch.deletedCustomers)).toEqual([
      [{ id: 'c-1', deletedAt: '2026-01-15T09:30:00.000Z' }],
    ]);
    expect(metrics.get(metricNames.recordsStaged)).toBe(1);
    expect(metrics.get(metricNames.recordsDuplicate)).toBe(1);
  });

  it('counts a re-delivered batch as duplicates and stages no second object', async () => {
    const { deps, metrics, staging } = harness();
    await processMskEvent(poisonEvent(), deps);
    metrics.clear();
    const response = await processMskEvent(poisonEvent(), deps);
    expect(response.batchItemFailures).toEqual([]);
    expect(staging.objects.size).toBe(1);
    expect(metrics.get(metricNames.recordsDuplicate)).toBe(3);
    expect(metrics.get(metricNames.batchesStaged)).toBe(0);
  });

  it.each(['aws:kafka', 'SelfManagedKafka'] as const)(
    'stages the records of a %s event (MSK and self-managed mappings alike)',
    async (eventSource) => {
      const { deps, staging } = harness();
      const event = mskEvent(
        [1, 2].map((offset) => ({
          topic: 'customer_data',
          partition: 0,
          offset,
          value: customerEnvelope(customer(`c-${offset}`)),
        })),
        eventSource,
      );
      expect('eventSourceArn' in event).toBe(eventSource === 'aws:kafka');
      expect(await processMskEvent(event, deps)).toEqual({ batchItemFailures: [] });
      const [batch] = [...staging.objects.values()];
      expect(batch?.customers.map((item) => item.id).sort()).toEqual(['c-1', 'c-2']);
    },
  );

  it('sends a record without a Kafka key to the DLQ with the reason, and stages the keyed ones', async () => {
    const { deps, dlqEntries, staging } = harness();
    const response = await processMskEvent(
      mskEvent([
        {
          topic: 'customer_data',
          partition: 0,
          offset: 1,
          value: customerEnvelope(customer('c-1')),
        },
        {
          topic: 'customer_data',
          partition: 0,
          offset: 2,
          value: customerEnvelope(customer('c-2')),
          key: null,
        },
      ]),
      deps,
    );
    expect(response).toEqual({ batchItemFailures: [] });
    expect(dlqEntries).toMatchObject([
      {
        reason: 'Kafka key missing (must be payload.id)',
        origin: { topic: 'customer_data', partition: 0, offset: '2' },
      },
    ]);
    const [batch] = [...staging.objects.values()];
    expect(batch?.customers.map((item) => item.id)).toEqual(['c-1']);
  });

  it('logs only the issue paths and codes of a schema failure (no e-mail), the DLQ keeps the reason', async () => {
    const { deps, logs, dlqEntries } = harness();
    const invalidEmail = customerEnvelope(customer('c-5', { email: 'jane.doe@example' }));
    await processMskEvent(
      mskEvent([{ topic: 'customer_data', partition: 0, offset: 5, value: invalidEmail }]),
      deps,
    );
    const warning = logs.find(
      (entry) => Array.isArray(entry) && entry[0] === 'invalid record sent to the DLQ',
    ) as [string, unknown];
    expect(warning[1]).toEqual({
      topic: 'customer_data',
      partition: 0,
      offset: 5,
      issues: [{ path: 'payload.email', code: 'invalid_format' }],
    });
    expect(JSON.stringify(logs)).not.toContain('@');
    expect(dlqEntries[0]?.reason).toMatch(/^invalid envelope: .*email/s);
  });
});

describe('the correlation id', () => {
  it('is the messageId of the first valid record on every line of the invocation, and none when no record is valid', async () => {
    const lines: Record<string, unknown>[] = [];
    const capture = (chunk: string | Uint8Array): boolean =>
      lines.push(JSON.parse(String(chunk)) as Record<string, unknown>) > 0;
    const streams = [process.stdout, process.stderr].map((stream) =>
      vi.spyOn(stream, 'write').mockImplementation(capture),
    );
    try {
      const { deps } = harness();
      deps.logger = new Logger({ serviceName: 'merge-consumer' });
      const first = customerEnvelope(customer('c-1'));
      const event = mskEvent([
        { topic: 'customer_data', partition: 0, offset: 1, value: '{not json' },
        { topic: 'customer_data', partition: 0, offset: 2, value: first },
        {
          topic: 'customer_data',
          partition: 0,
          offset: 3,
          value: customerEnvelope(customer('c-3')),
        },
      ]);
      await processMskEvent(event, deps);
      const invocation = lines.splice(0);
      expect(invocation.map((line) => line.message)).toEqual([
        'invalid record sent to the DLQ',
        'batch merged',
      ]);
      for (const line of invocation) expect(line.correlation_id).toBe(first.messageId);

      await processMskEvent(
        mskEvent([{ topic: 'customer_data', partition: 0, offset: 4, value: '{not json' }]),
        deps,
      );
      expect(lines.length).toBeGreaterThan(0);
      for (const line of lines) expect(line).not.toHaveProperty('correlation_id');
    } finally {
      for (const stream of streams) stream.mockRestore();
    }
  });
});
