import { describe, expect, it } from 'vitest';
import { StagedBatchSchema, stagedRecords } from '../shared/staging-format';
import { buildStagedBatch, collapseVersions, versionsInBatch } from './group-commit';

/** The records a batch stages: one per entity, the latest (lambdas/shared/staging-format.ts). */
function latestPayloads(records: readonly ValidRecord[]) {
  const batch = buildStagedBatch({ batchId: 'b', createdAt: new Date(0), records, offsets: [] });
  return stagedRecords(batch);
}
import type { ValidRecord } from './msk-event';
import { parseMskEvent } from './msk-event';
import type { TestRecord } from './test-support/msk-event';
import {
  customer,
  customerEnvelope,
  mskEvent,
  product,
  productEnvelope,
  tombstone,
} from './test-support/msk-event';

function validRecords(records: TestRecord[]): ValidRecord[] {
  return parseMskEvent(mskEvent(records)).valid;
}

describe('collapseVersions', () => {
  it('keeps one group per record version, with every occurrence, in first-seen order', () => {
    const v1 = customerEnvelope(customer('c-1'));
    const again = { ...customerEnvelope(customer('c-1')) }; // same payload, new messageId: same version
    const other = customerEnvelope(customer('c-2'));
    const groups = collapseVersions(
      validRecords([
        { topic: 'customer_data', partition: 0, offset: 1, value: v1 },
        { topic: 'customer_data', partition: 0, offset: 2, value: other },
        { topic: 'customer_data', partition: 0, offset: 3, value: again },
      ]),
    );
    expect(groups.map((group) => group.record.envelope.payload.id)).toEqual(['c-1', 'c-2']);
    expect(groups[0]!.occurrences.map((record) => record.offset)).toEqual([1, 3]);
  });
});

describe('latestPerId', () => {
  it('keeps the later offset of the partition, even when the source clock stepped back', () => {
    // The source's clock was corrected backwards between two changes of c-1 (clock-skew chaos
    // scenario): the version read later carries the earlier updatedAt, and it is the current one.
    const first = customerEnvelope(
      customer('c-1', { name: 'first', updatedAt: '2026-01-15T09:00:40.000Z' }),
    );
    const current = customerEnvelope(
      customer('c-1', { name: 'current', updatedAt: '2026-01-15T09:00:10.000Z' }),
    );
    const sameTimeEarlier = customerEnvelope(customer('c-2', { name: 'earlier' }));
    const sameTimeLater = customerEnvelope(customer('c-2', { name: 'later' }));
    const records = validRecords([
      { topic: 'customer_data', partition: 0, offset: 1, value: first },
      { topic: 'customer_data', partition: 0, offset: 2, value: current },
      { topic: 'customer_data', partition: 1, offset: 6, value: sameTimeLater },
      { topic: 'customer_data', partition: 1, offset: 5, value: sameTimeEarlier },
    ]);
    const names = latestPayloads(records).map((payload) => ('name' in payload ? payload.name : ''));
    expect(names.sort()).toEqual(['current', 'later']);
  });

  it('falls back to updatedAt for versions of one id in different partitions', () => {
    // Only after a topic's partition count changed: offsets of two partitions do not compare.
    const newer = customerEnvelope(
      customer('c-1', { name: 'new', updatedAt: '2026-01-15T09:00:00.000Z' }),
    );
    const older = customerEnvelope(
      customer('c-1', { name: 'old', updatedAt: '2026-01-15T08:00:00.000Z' }),
    );
    const records = validRecords([
      { topic: 'customer_data', partition: 0, offset: 1, value: newer },
      { topic: 'customer_data', partition: 1, offset: 9, value: older },
    ]);
    expect(latestPayloads(records)).toEqual([newer.payload]);
  });

  it('resolves a delete and an update of the same id by Kafka order, whichever comes first', () => {
    // Both updates carry an updatedAt later than the delete time: only the offsets decide.
    const later = { updatedAt: '2026-01-15T11:00:00.000Z' };
    const [updated, recreated] = [customer('c-1', later), customer('c-2', later)];
    const records = validRecords([
      { topic: 'customer_data', partition: 0, offset: 1, value: customerEnvelope(updated) },
      tombstone({ topic: 'customer_data', partition: 0, offset: 2 }, 'CUSTOMER', 'c-1'),
      tombstone({ topic: 'customer_data', partition: 0, offset: 3 }, 'CUSTOMER', 'c-2'),
      { topic: 'customer_data', partition: 0, offset: 4, value: customerEnvelope(recreated) },
    ]);
    const batch = buildStagedBatch({ batchId: 'b', createdAt: new Date(0), records, offsets: [] });
    expect(batch.customers).toEqual([recreated]);
    expect(batch.deletedCustomers).toEqual([{ id: 'c-1', deletedAt: '2026-01-15T09:30:00.000Z' }]);
    expect(batch.recordPositions).toEqual({
      'CUSTOMER#c-1': { partition: 0, offset: '2' },
      'CUSTOMER#c-2': { partition: 0, offset: '4' },
    });
    expect(batch.recordVersions).toEqual(records.map((record) => record.versionKey).sort());
    expect(StagedBatchSchema.parse(batch)).toEqual(batch);
  });

  it('does not confuse a customer and a product with the same id', () => {
    const records = validRecords([
      { topic: 'customer_data', partition: 0, offset: 1, value: customerEnvelope(customer('x-1')) },
      { topic: 'inventory_data', partition: 0, offset: 1, value: productEnvelope(product('x-1')) },
    ]);
    expect(latestPayloads(records)).toHaveLength(2);
  });
});

describe('buildStagedBatch', () => {
  it('writes the latest version per id, the offsets, and every version it accounts for', () => {
    const old = customerEnvelope(
      customer('c-1', { name: 'old', updatedAt: '2026-01-15T08:00:00.000Z' }),
    );
    const current = customerEnvelope(customer('c-1', { name: 'current' }));
    const item = productEnvelope(product('p-1'));
    const records = validRecords([
      { topic: 'customer_data', partition: 0, offset: 1, value: old },
      { topic: 'customer_data', partition: 0, offset: 2, value: current },
      { topic: 'inventory_data', partition: 1, offset: 8, value: item },
    ]);
    const offsets = [{ topic: 'customer_data', partition: 0, firstOffset: '1', lastOffset: '2' }];
    const batch = buildStagedBatch({
      batchId: 'b1',
      createdAt: new Date('2026-01-15T10:00:00Z'),
      records,
      offsets,
    });
    expect(StagedBatchSchema.parse(batch)).toMatchObject({ batchId: 'b1', offsets });
    expect(batch.customers).toEqual([current.payload]);
    expect(batch.products).toEqual([item.payload]);
    expect(batch.recordPositions).toEqual({
      'CUSTOMER#c-1': { partition: 0, offset: '2' },
      'PRODUCT#p-1': { partition: 1, offset: '8' },
    });
    expect(new Set(batch.recordVersions)).toEqual(
      new Set(records.map((record) => record.versionKey)),
    );
    expect(versionsInBatch(batch)).toEqual(new Set(records.map((record) => record.versionKey)));
  });

  it('derives the versions of an object written without recordVersions from its records', () => {
    const records = validRecords([
      { topic: 'customer_data', partition: 0, offset: 1, value: customerEnvelope(customer('c-9')) },
    ]);
    const { recordVersions: _omitted, ...legacy } = buildStagedBatch({
      batchId: 'b',
      createdAt: new Date(),
      records,
      offsets: [],
    });
    expect(versionsInBatch(legacy)).toEqual(new Set([records[0]!.versionKey]));
  });
});
