import { describe, expect, it } from 'vitest';
import { contentHash } from '../shared/content-hash';
import type { Envelope } from '../shared/envelope';
import { recordVersionKey } from '../shared/envelope';
import { importMinified, thrownBy } from '../../test/support/minified-bundle';
import { MAX_RECORD_VALUE_BYTES, parseMskEvent } from './msk-event';
import {
  customer,
  customerEnvelope,
  mskEvent,
  product,
  productEnvelope,
  tombstone,
} from './test-support/msk-event';

describe('parseMskEvent', () => {
  it('decodes base64 values into validated envelopes, with positions and header byte arrays', () => {
    const c1 = customerEnvelope(customer('c-1'));
    const p1 = productEnvelope(product('p-1'));
    const event = mskEvent([
      { topic: 'customer_data', partition: 0, offset: 15, value: c1, headers: { source: 'crm' } },
      { topic: 'inventory_data', partition: 2, offset: 7, value: p1 },
    ]);
    const parsed = parseMskEvent(event);
    expect(parsed.invalid).toEqual([]);
    expect(parsed.valid).toHaveLength(2);
    expect(parsed.valid[0]).toMatchObject({
      topic: 'customer_data',
      partition: 0,
      offset: 15,
      envelope: c1,
    });
    expect(parsed.valid[0]!.versionKey).toBe(recordVersionKey(c1));
    expect(parsed.valid[1]!.envelope).toEqual(p1);
    expect(parsed.ranges).toEqual([
      { topic: 'customer_data', partition: 0, firstOffset: '15', lastOffset: '15' },
      { topic: 'inventory_data', partition: 2, firstOffset: '7', lastOffset: '7' },
    ]);
  });

  it('computes the first and last offset per partition', () => {
    const event = mskEvent(
      [12, 10, 11].map((offset) => ({
        topic: 'customer_data',
        partition: 1,
        offset,
        value: customerEnvelope(customer(`c-${offset}`)),
      })),
    );
    expect(parseMskEvent(event).ranges).toEqual([
      { topic: 'customer_data', partition: 1, firstOffset: '10', lastOffset: '12' },
    ]);
  });

  it('turns each kind of bad record into an invalid record with a reason, keeping the good ones', () => {
    const good = customerEnvelope(customer('c-ok'));
    const tampered = {
      ...customerEnvelope(customer('c-bad')),
      payload: customer('c-bad', { name: 'changed' }),
    } as Envelope;
    const schemaInvalid = { ...customerEnvelope(customer('c-x')), eventType: 'ORDER' };
    const event = mskEvent([
      { topic: 'customer_data', partition: 0, offset: 1, value: { base64: '***not base64***' } },
      { topic: 'customer_data', partition: 0, offset: 2, value: 'not json at all' },
      { topic: 'customer_data', partition: 0, offset: 3, value: JSON.stringify(schemaInvalid) },
      { topic: 'customer_data', partition: 0, offset: 4, value: tampered },
      {
        topic: 'customer_data',
        partition: 0,
        offset: 5,
        value: 'x'.repeat(MAX_RECORD_VALUE_BYTES + 10),
      },
      { topic: 'customer_data', partition: 0, offset: 6, value: good, key: 'someone-else' },
      { topic: 'customer_data', partition: 0, offset: 7, value: good },
    ]);
    const parsed = parseMskEvent(event);
    expect(parsed.valid.map((record) => record.offset)).toEqual([7]);
    const reasons = Object.fromEntries(
      parsed.invalid.map((record) => [record.offset, record.reason]),
    );
    expect(reasons[1]).toBe('value is not base64');
    expect(reasons[2]).toBe('value is not JSON');
    expect(reasons[3]).toMatch(/^invalid envelope/);
    expect(reasons[4]).toMatch(/contentHash does not match/);
    expect(reasons[5]).toMatch(/larger than/);
    expect(reasons[6]).toBe('Kafka key does not match payload.id');
    expect(parsed.invalid.find((record) => record.offset === 2)?.raw).toBe('not json at all');
    expect(parsed.ranges).toEqual([
      { topic: 'customer_data', partition: 0, firstOffset: '1', lastOffset: '7' },
    ]);
  });

  it('accepts the self-managed Kafka event (no eventSourceArn) as well as the MSK one', () => {
    const records = [
      { topic: 'customer_data', partition: 0, offset: 4, value: customerEnvelope(customer('c-4')) },
    ];
    const selfManaged = mskEvent(records, 'SelfManagedKafka');
    expect(selfManaged).not.toHaveProperty('eventSourceArn');
    expect(parseMskEvent(selfManaged).valid.map((record) => record.offset)).toEqual([4]);
    expect(parseMskEvent(mskEvent(records)).valid.map((record) => record.offset)).toEqual([4]);
    const mskWithoutArn = { ...mskEvent(records), eventSourceArn: undefined };
    expect(() => parseMskEvent(mskWithoutArn)).toThrow(/Not an MSK event/);
  });

  it('rejects a record without a Kafka key: it could have landed in any partition', () => {
    const event = mskEvent([
      {
        topic: 'customer_data',
        partition: 0,
        offset: 8,
        value: customerEnvelope(customer('c-8')),
        key: null,
      },
    ]);
    const parsed = parseMskEvent(event);
    expect(parsed.valid).toEqual([]);
    expect(parsed.invalid).toMatchObject([
      { offset: 8, reason: 'Kafka key missing (must be payload.id)', issues: [] },
    ]);
  });

  it('describes schema failures as issue paths and codes next to the full reason', () => {
    const bad = customerEnvelope(customer('c-9', { email: 'not-an-email@' }));
    const parsed = parseMskEvent(
      mskEvent([{ topic: 'customer_data', partition: 0, offset: 9, value: bad }]),
    );
    const [invalid] = parsed.invalid;
    expect(invalid?.reason).toMatch(/^invalid envelope/);
    expect(invalid?.issues).toContainEqual({ path: 'payload.email', code: 'invalid_format' });
  });

  it('rejects something that is not an MSK event', () => {
    expect(() => parseMskEvent({ eventSource: 'aws:sqs', Records: [] })).toThrow(
      /Not an MSK event/,
    );
    const noOffset = mskEvent([{ topic: 'customer_data', partition: 0, offset: 1, value: 'x' }]);
    delete (noOffset.records['customer_data-0']![0] as Record<string, unknown>).offset;
    expect(() => parseMskEvent(noOffset)).toThrow(/Not an MSK event/);
  });

  it('reads headers as AWS sends them, signed Java bytes, without failing the record', () => {
    const envelope = customerEnvelope(customer('c-10'));
    // ë is UTF-8 C3 AB; Lambda serialises header bytes as Java's signed bytes: [-61, -85].
    const event = mskEvent([
      {
        topic: 'customer_data',
        partition: 0,
        offset: 10,
        value: envelope,
        headers: { name: 'Zoë' },
      },
    ]);
    expect(event.records['customer_data-0']?.[0]).toMatchObject({
      headers: [{ name: [90, 111, -61, -85] }],
    });
    const parsed = parseMskEvent(event);
    expect(parsed.invalid).toEqual([]);
    expect(parsed.valid.map((record) => record.envelope)).toEqual([envelope]);
  });

  it('reads a tombstone with delete headers (no value field, or value null) as a delete version', () => {
    const event = mskEvent([
      tombstone({ topic: 'customer_data', partition: 0, offset: 11 }, 'CUSTOMER', 'c-11'),
      tombstone({ topic: 'inventory_data', partition: 1, offset: 4 }, 'PRODUCT', 'p-4'),
    ]);
    const [absent] = event.records['customer_data-0'] as Record<string, unknown>[];
    expect(absent).not.toHaveProperty('value');
    event.records['customer_data-0'] = [absent, { ...absent, offset: 13, value: null }];
    const parsed = parseMskEvent(event);
    expect(parsed.invalid).toEqual([]);
    const deleted = { id: 'c-11', deletedAt: '2026-01-15T09:30:00.000Z' };
    expect(parsed.valid.map(({ offset, envelope }) => [offset, envelope])).toMatchObject([
      [11, { op: 'delete', eventType: 'CUSTOMER', source: 'crm', payload: deleted }],
      [13, { op: 'delete', eventType: 'CUSTOMER', payload: deleted }],
      [4, { op: 'delete', eventType: 'PRODUCT', payload: { id: 'p-4' } }],
    ]);
    // Its version: the sha256 of the canonical DeletedRecord, so a re-polled delete is a duplicate.
    expect(parsed.valid[0]!.versionKey).toBe(`CUSTOMER#c-11#${contentHash(deleted)}`);
    expect(parsed.valid[1]!.versionKey).toBe(parsed.valid[0]!.versionKey);
  });

  it('sends a tombstone without a key or without valid delete headers to the DLQ', () => {
    const at = (offset: number) => ({ topic: 'customer_data', partition: 0, offset });
    const { headers } = tombstone(at(0), 'CUSTOMER', 'c-1');
    const event = mskEvent([
      { ...tombstone(at(11), 'CUSTOMER', 'c-11'), key: null },
      { ...at(12), key: 'c-12', value: null },
      { ...at(13), key: 'c-13', value: null, headers: { ...headers, deletedAt: 'yesterday' } },
      { ...at(14), key: 'c-14', value: null, headers: { ...headers, op: 'upsert' } },
      { ...at(15), key: 'x'.repeat(129), value: null, headers },
    ]);
    const parsed = parseMskEvent(event);
    expect(parsed.valid).toEqual([]);
    expect(parsed.invalid.map(({ offset, reason, issues }) => [offset, reason, issues])).toEqual([
      [11, 'tombstone without a Kafka key (must be the id)', []],
      [12, expect.stringMatching(/^tombstone without valid delete headers: /), expect.anything()],
      [13, expect.any(String), [{ path: 'deletedAt', code: 'invalid_format' }]],
      [14, expect.any(String), [{ path: 'op', code: 'invalid_value' }]],
      [15, expect.any(String), [{ path: 'id', code: 'too_big' }]],
    ]);
  });

  it('sends a record whose key is null, as AWS may send it, to the DLQ as keyless', () => {
    const event = mskEvent([
      {
        topic: 'customer_data',
        partition: 0,
        offset: 14,
        value: customerEnvelope(customer('c-14')),
      },
    ]);
    const [record] = event.records['customer_data-0'] as Record<string, unknown>[];
    event.records['customer_data-0'] = [{ ...record, key: null }];
    expect(parseMskEvent(event).invalid).toMatchObject([
      { offset: 14, reason: 'Kafka key missing (must be payload.id)', issues: [] },
    ]);
  });
});

describe('merge-consumer errors in the deployed bundle', () => {
  it('keep their names when minified as infra bundles them (logged as name: message)', async () => {
    const bundled = await importMinified<{ parseMskEvent: typeof parseMskEvent }>(
      'lambdas/merge-consumer/msk-event.ts',
    );
    expect(thrownBy(() => bundled.parseMskEvent('not an event'))).toMatchObject({
      name: 'MergeConsumerError',
    });
  }, 30_000);
});
