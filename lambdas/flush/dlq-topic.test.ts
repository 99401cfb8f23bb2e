import { describe, expect, it } from 'vitest';
import { kafkaOnFailureRecordSample } from '../../test/conformance/kafka-corpus';
import { OnFailureRecordSchema } from './dlq-topic';

describe('OnFailureRecordSchema', () => {
  it('reads the record AWS documents for a Kafka on-failure destination', () => {
    // https://docs.aws.amazon.com/lambda/latest/dg/kafka-on-failure-destination.html#kafka-ofd-record-format
    const parsed = OnFailureRecordSchema.parse(kafkaOnFailureRecordSample());
    expect(parsed.requestContext.condition).toBe('RetriesExhausted');
    const [record] = parsed.payload.records['my-topic-0'] ?? [];
    expect(record).toMatchObject({ topic: 'my-topic', partition: 0, offset: 100, headers: [] });
    expect(Buffer.from(record?.key ?? '', 'base64').toString()).toBe('test-key');
    expect(Buffer.from(record?.value ?? '', 'base64').toString()).toBe('test-value');
  });

  it('refuses a message that carries more than one record', () => {
    const sample = kafkaOnFailureRecordSample() as {
      payload: { records: Record<string, unknown[]> };
    };
    const [record] = sample.payload.records['my-topic-0'] ?? [];
    sample.payload.records['my-topic-0'] = [record, record];
    expect(OnFailureRecordSchema.safeParse(sample).success).toBe(false);
  });
});
