import { describe, expect, it } from 'vitest';
import { AnalyticsPayloadSchema } from '../shared/analytics-payload';
import type { PackLimits, StagedEntry } from './packing';
import { PayloadPacker, buildPayload, eventIdFor } from './packing';
import { customer, product, stagedBatch, stagedKey } from './test-support/fixtures';

/** Packs entries (already in delivery order) into payload groups, as runFlush does. */
function packBatches(entries: readonly StagedEntry[], limits: PackLimits): StagedEntry[][] {
  const packer = new PayloadPacker(limits);
  const groups: StagedEntry[][] = [];
  for (const entry of entries) {
    const full = packer.add(entry);
    if (full) groups.push(full);
  }
  const last = packer.take();
  if (last.length > 0) groups.push(last);
  return groups;
}

function entry(batchId: string, customers: number, products: number): StagedEntry {
  return { stagedKey: stagedKey(batchId), batch: stagedBatch(batchId, customers, products) };
}

describe('eventIdFor', () => {
  it('is the same for the same batch ids in any order, and a 64-char hex digest', () => {
    const id = eventIdFor(['b', 'a', 'c']);
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(eventIdFor(['c', 'b', 'a'])).toBe(id);
  });

  it('differs when the set of batches differs', () => {
    expect(eventIdFor(['a', 'b'])).not.toBe(eventIdFor(['a', 'b', 'c']));
    expect(eventIdFor(['ab'])).not.toBe(eventIdFor(['a', 'b']));
  });
});

describe('packBatches', () => {
  it('keeps batch order and never exceeds maxRecordsPerPost', () => {
    const entries = ['b1', 'b2', 'b3', 'b4', 'b5'].map((id) => entry(id, 3, 2)); // 5 records each
    const groups = packBatches(entries, { maxRecordsPerPost: 12, maxBytesPerPost: 10_000_000 });
    expect(groups.map((group) => group.map((e) => e.batch.batchId))).toEqual([
      ['b1', 'b2'],
      ['b3', 'b4'],
      ['b5'],
    ]);
  });

  it('never exceeds maxBytesPerPost in the serialized payload', () => {
    const entries = Array.from({ length: 20 }, (_, i) => entry(`batch-${i}`, 7, 5));
    const maxBytesPerPost = 9_000;
    const groups = packBatches(entries, { maxRecordsPerPost: 1_000, maxBytesPerPost });
    expect(groups.length).toBeGreaterThan(1);
    expect(groups.flat().map((e) => e.batch.batchId)).toEqual(entries.map((e) => e.batch.batchId));
    for (const group of groups) {
      const size = Buffer.byteLength(JSON.stringify(buildPayload(group, new Date().toISOString())));
      expect(size).toBeLessThanOrEqual(maxBytesPerPost);
    }
    // Greedy: each group but the last could not take the next batch.
    for (let i = 0; i < groups.length - 1; i++) {
      const withNext = [...groups[i]!, groups[i + 1]![0]!];
      const size = Buffer.byteLength(
        JSON.stringify(buildPayload(withNext, new Date().toISOString())),
      );
      expect(size).toBeGreaterThan(maxBytesPerPost * 0.9);
    }
  });

  it('sends a batch larger than the limits alone instead of holding it back', () => {
    const groups = packBatches([entry('small', 1, 0), entry('huge', 50, 0), entry('tail', 1, 0)], {
      maxRecordsPerPost: 10,
      maxBytesPerPost: 10_000_000,
    });
    expect(groups.map((group) => group.map((e) => e.batch.batchId))).toEqual([
      ['small'],
      ['huge'],
      ['tail'],
    ]);
  });

  it('packs the same entries into the same groups every time', () => {
    const entries = Array.from({ length: 9 }, (_, i) => entry(`b${i}`, i, 1));
    const limits = { maxRecordsPerPost: 10, maxBytesPerPost: 10_000_000 };
    const ids = (groups: StagedEntry[][]) =>
      groups.map((group) => eventIdFor(group.map((e) => e.batch.batchId)));
    expect(ids(packBatches(entries, limits))).toEqual(ids(packBatches(entries, limits)));
  });
});

describe('buildPayload', () => {
  it('builds a valid AnalyticsPayload with counts and batch ids', () => {
    const payload = buildPayload([entry('x', 2, 1), entry('y', 0, 3)], '2026-01-01T00:00:00.000Z');
    expect(AnalyticsPayloadSchema.parse(payload)).toEqual(payload);
    expect(payload.eventId).toBe(eventIdFor(['x', 'y']));
    expect(payload.metadata).toEqual({
      source: 'ecom-sync',
      customerCount: 2,
      productCount: 4,
      batchIds: ['x', 'y'],
    });
  });
});

describe('buildPayload with the same id in two batches', () => {
  it('carries only the latest version of each id, and counts what it carries', () => {
    const older = stagedBatch('older', 0, 0);
    older.customers = [customer('c1', '2026-01-01T00:00:00.000Z'), customer('c2')];
    older.products = [product('p1', 5)];
    const newer = stagedBatch('newer', 0, 0);
    newer.customers = [customer('c1', '2026-01-03T00:00:00.000Z')];
    newer.products = [{ ...product('p1', 7), updatedAt: '2026-01-02T00:00:00.000Z' }];

    const payload = buildPayload(
      [
        { stagedKey: stagedKey('older'), batch: older },
        { stagedKey: stagedKey('newer'), batch: newer },
      ],
      '2026-01-04T00:00:00.000Z',
    );

    expect(payload.customers).toEqual([newer.customers[0], older.customers[1]]);
    expect(payload.products).toEqual([newer.products[0]]);
    expect(payload.metadata).toMatchObject({
      customerCount: 2,
      productCount: 1,
      batchIds: ['older', 'newer'],
    });
  });
});

describe('buildPayload when the source clock stepped back between two versions', () => {
  // The CRM's clock was corrected backwards between two changes of c1: the version staged from the
  // later offset carries the earlier updatedAt, and it is the source's current state.
  const first = { ...customer('c1', '2026-01-01T00:00:40.000Z'), name: 'first' };
  const current = { ...customer('c1', '2026-01-01T00:00:10.000Z'), name: 'current' };

  function batchOf(batchId: string, record: typeof first, offset: string): StagedEntry {
    const batch = stagedBatch(batchId, 0, 0);
    batch.customers = [record];
    batch.recordPositions = { 'CUSTOMER#c1': { partition: 2, offset } };
    return { stagedKey: stagedKey(batchId), batch };
  }

  it('carries the version read later from the partition, whatever the listing order', () => {
    const earlier = batchOf('earlier', first, '900');
    const later = batchOf('later', current, '1000');
    for (const entries of [
      [earlier, later],
      [later, earlier],
    ]) {
      expect(buildPayload(entries, '2026-01-02T00:00:00.000Z').customers).toEqual([current]);
    }
  });

  it('compares offsets as numbers, not as text', () => {
    const earlier = batchOf('earlier', first, '99');
    const later = batchOf('later', current, '100');
    expect(buildPayload([later, earlier], '2026-01-02T00:00:00.000Z').customers).toEqual([current]);
  });

  it('falls back to updatedAt for batches staged without positions', () => {
    const earlier = batchOf('earlier', first, '900');
    const later = batchOf('later', current, '1000');
    delete later.batch.recordPositions;
    expect(buildPayload([earlier, later], '2026-01-02T00:00:00.000Z').customers).toEqual([first]);
  });
});

describe('buildPayload with a delete and an update of the same id in two batches', () => {
  // The updates carry an updatedAt later than the delete time: the offsets alone decide.
  const update = (id: string) => customer(id, '2026-01-05T00:00:00.000Z');
  const deleted = (id: string) => ({ id, deletedAt: '2026-01-02T00:00:00.000Z' });
  const at = (offset: string) => ({ partition: 1, offset });

  it('carries whichever was read later, as an update or in deletedCustomers', () => {
    const first = stagedBatch('first', 0, 0);
    first.customers = [update('c1')];
    first.deletedCustomers = [deleted('c2')];
    first.products = [product('p1')];
    first.recordPositions = { 'CUSTOMER#c1': at('10'), 'CUSTOMER#c2': at('11') };
    const second = stagedBatch('second', 0, 0);
    second.customers = [update('c2')];
    second.deletedCustomers = [deleted('c1')];
    second.deletedProducts = [deleted('p2')];
    second.recordPositions = { 'CUSTOMER#c1': at('20'), 'CUSTOMER#c2': at('21') };
    const entries = [first, second].map((batch) => ({
      stagedKey: stagedKey(batch.batchId),
      batch,
    }));
    for (const order of [entries, [...entries].reverse()]) {
      const payload = buildPayload(order, '2026-01-06T00:00:00.000Z');
      expect(AnalyticsPayloadSchema.parse(payload)).toEqual(payload);
      expect(payload.customers).toEqual([update('c2')]);
      expect(payload.deletedCustomers).toEqual([deleted('c1')]);
      expect(payload.products).toEqual([product('p1')]);
      expect(payload.deletedProducts).toEqual([deleted('p2')]);
    }
  });

  it('counts deletes against the record and byte limits', () => {
    const withDeletes = (batchId: string): StagedEntry => {
      const batch = stagedBatch(batchId, 1, 0);
      batch.deletedCustomers = Array.from({ length: 40 }, (_, i) => deleted(`${batchId}-d${i}`));
      return { stagedKey: stagedKey(batchId), batch };
    };
    const entries = ['a', 'b', 'c'].map(withDeletes);
    expect(
      packBatches(entries, { maxRecordsPerPost: 60, maxBytesPerPost: 10_000_000 }).map(
        (g) => g.length,
      ),
    ).toEqual([1, 1, 1]);
    const maxBytesPerPost = 4_000;
    const groups = packBatches(entries, { maxRecordsPerPost: 1_000, maxBytesPerPost });
    expect(groups.map((group) => group.length)).toEqual([1, 1, 1]);
    for (const group of groups)
      expect(
        Buffer.byteLength(JSON.stringify(buildPayload(group, new Date().toISOString()))),
      ).toBeLessThanOrEqual(maxBytesPerPost);
  });
});
