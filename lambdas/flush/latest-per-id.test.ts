import { describe, expect, it } from 'vitest';
import { latestPerId } from './latest-per-id';
import { customer } from './test-support/fixtures';

describe('latestPerId', () => {
  it('keeps the version with the latest updatedAt, in first-seen id order', () => {
    const newer = customer('a', '2026-01-02T00:00:00.000Z');
    const older = customer('a', '2026-01-01T00:00:00.000Z');
    const other = customer('b');
    expect(latestPerId([older, other, newer])).toEqual([newer, other]);
    expect(latestPerId([newer, other, older])).toEqual([newer, other]);
  });

  it('compares instants, not strings, across UTC offsets', () => {
    const earlier = customer('a', '2026-01-01T01:30:00+02:00'); // 2025-12-31T23:30Z, sorts last as text
    const later = customer('a', '2026-01-01T00:00:00.000Z');
    expect(latestPerId([earlier, later])).toEqual([later]);
    expect(latestPerId([later, earlier])).toEqual([later]);
  });

  it('breaks an updatedAt tie by content, the same whatever the order', () => {
    const x = { ...customer('a'), name: 'Alpha' };
    const y = { ...customer('a'), name: 'Beta' };
    expect(latestPerId([x, y])).toEqual(latestPerId([y, x]));
    expect(latestPerId([x, y])).toHaveLength(1);
  });
});
