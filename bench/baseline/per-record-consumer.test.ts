import { describe, expect, it } from 'vitest';
import {
  customer,
  customerEnvelope,
  product,
  productEnvelope,
} from '../../lambdas/merge-consumer/test-support/msk-event';
import { AnalyticsPayloadSchema } from '../../lambdas/shared/analytics-payload';
import { recordVersionKey } from '../../lambdas/shared/envelope';
import { singleRecordPayload } from './per-record-consumer';

const position = { topic: 'customer_data', partition: 2, offset: '41' };
const now = new Date('2026-01-15T10:00:00.000Z');

describe('singleRecordPayload', () => {
  it('carries one customer, counted in the metadata, keyed by its record version', () => {
    const envelope = customerEnvelope(customer('cust-1'));
    const payload = singleRecordPayload(envelope, position, now);

    expect(AnalyticsPayloadSchema.parse(payload)).toEqual(payload);
    expect(payload.customers).toEqual([envelope.payload]);
    expect(payload.products).toEqual([]);
    expect(payload.metadata).toEqual({
      source: 'crm',
      customerCount: 1,
      productCount: 0,
      batchIds: ['customer_data-2:41'],
    });
    expect(payload.eventId).toBe(`baseline#${recordVersionKey(envelope)}`);
    expect(payload.timestamp).toBe(now.toISOString());
  });

  it('carries one product the same way', () => {
    const payload = singleRecordPayload(productEnvelope(product('prod-1')), position, now);
    expect(AnalyticsPayloadSchema.parse(payload)).toEqual(payload);
    expect(payload.products).toHaveLength(1);
    expect(payload.metadata).toMatchObject({ customerCount: 0, productCount: 1 });
  });

  it('gives a re-sent version the same Idempotency-Key and a changed version a new one', () => {
    const first = singleRecordPayload(customerEnvelope(customer('cust-1')), position, now);
    const resent = singleRecordPayload(
      customerEnvelope(customer('cust-1')),
      { ...position, offset: '99' },
      now,
    );
    const changed = singleRecordPayload(
      customerEnvelope(customer('cust-1', { name: 'Renamed' })),
      position,
      now,
    );
    expect(resent.eventId).toBe(first.eventId);
    expect(changed.eventId).not.toBe(first.eventId);
  });
});
