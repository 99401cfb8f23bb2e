import { describe, expect, it } from 'vitest';
import { latestPerId } from './latest-per-id';
import { customer } from './test-support/fixtures';

const latest = <T extends { id: string; updatedAt: string }>(records: T[]): T[] =>
  latestPerId(records.map((record) => ({ record })));

describe('latestPerId', () => {
  it('keeps the version with the latest updatedAt, in first-seen id order', () => {
    const newer = customer('a', '2026-01-02T00:00:00.000Z');
    const older = customer('a', '2026-01-01T00:00:00.000Z');
    const other = customer('b');
    expect(latest([older, other, newer])).toEqual([newer, other]);
    expect(latest([newer, other, older])).toEqual([newer, other]);
  });

  it('compares instants, not strings, across UTC offsets', () => {
    const earlier = customer('a', '2026-01-01T01:30:00+02:00'); // 2025-12-31T23:30Z, sorts last as text
    const later = customer('a', '2026-01-01T00:00:00.000Z');
    expect(latest([earlier, later])).toEqual([later]);
    expect(latest([later, earlier])).toEqual([later]);
  });

  it('breaks an updatedAt tie by content, the same whatever the order', () => {
    const x = { ...customer('a'), name: 'Alpha' };
    const y = { ...customer('a'), name: 'Beta' };
    expect(latest([x, y])).toEqual(latest([y, x]));
    expect(latest([x, y])).toHaveLength(1);
  });

  it('prefers the later offset of the same partition over the later updatedAt', () => {
    const readFirst = { record: customer('a', '2026-01-01T00:00:40.000Z'), position: at(0, '7') };
    const readLater = { record: customer('a', '2026-01-01T00:00:10.000Z'), position: at(0, '8') };
    expect(latestPerId([readFirst, readLater])).toEqual([readLater.record]);
    expect(latestPerId([readLater, readFirst])).toEqual([readLater.record]);
  });

  it('falls back to updatedAt when the positions are in different partitions', () => {
    const newer = { record: customer('a', '2026-01-02T00:00:00.000Z'), position: at(1, '1') };
    const older = { record: customer('a', '2026-01-01T00:00:00.000Z'), position: at(0, '50') };
    expect(latestPerId([older, newer])).toEqual([newer.record]);
    expect(latestPerId([newer, older])).toEqual([newer.record]);
  });
});

function at(partition: number, offset: string) {
  return { partition, offset };
}
