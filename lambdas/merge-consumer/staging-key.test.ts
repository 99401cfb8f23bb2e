import { describe, expect, it } from 'vitest';
import { batchIdFromOffsets, stagingKey } from '../shared/staging-format';

describe('batchIdFromOffsets', () => {
  const ranges = [
    { topic: 'customer_data', partition: 0, firstOffset: '10', lastOffset: '19' },
    { topic: 'inventory_data', partition: 2, firstOffset: '0', lastOffset: '4' },
  ];

  it('is 32 hex chars and the same for the same offsets in any order', () => {
    const id = batchIdFromOffsets(ranges);
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(batchIdFromOffsets([...ranges].reverse())).toBe(id);
    expect(batchIdFromOffsets(structuredClone(ranges))).toBe(id);
  });

  it('differs when any boundary differs', () => {
    const id = batchIdFromOffsets(ranges);
    const bisected = [{ ...ranges[0]!, lastOffset: '14' }, ranges[1]!];
    const otherPartition = [{ ...ranges[0]!, partition: 1 }, ranges[1]!];
    expect(
      new Set([
        id,
        batchIdFromOffsets(bisected),
        batchIdFromOffsets(otherPartition),
        batchIdFromOffsets([ranges[0]!]),
      ]).size,
    ).toBe(4);
  });
});

describe('stagingKey', () => {
  it('puts the batch under staging/YYYY/MM/DD of the given (UTC) date', () => {
    expect(stagingKey('abc', new Date('2026-03-04T23:59:59.999Z'))).toBe(
      'staging/2026/03/04/abc.json',
    );
    expect(stagingKey('abc', new Date('2026-12-31T00:00:00+02:00'))).toBe(
      'staging/2026/12/30/abc.json',
    );
  });
});
