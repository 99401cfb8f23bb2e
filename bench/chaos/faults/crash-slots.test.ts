import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fileCrashSlots, readCrashes } from './crash-slots';

const dirs: string[] = [];
function slotDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'crash-slots-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('fileCrashSlots', () => {
  it('hands out exactly the budget and records the operation of each crash', () => {
    const dir = slotDir();
    const slots = fileCrashSlots(dir, 2);
    expect(slots.claim('DynamoDB.PutItem')).toBe(true);
    expect(slots.claim('S3.PutObject')).toBe(true);
    expect(slots.claim('DynamoDB.PutItem')).toBe(false);
    expect(readCrashes(dir).sort()).toEqual(['DynamoDB.PutItem', 'S3.PutObject']);
  });

  it('shares the budget between environments (a replacement sees the slots the dead one took)', () => {
    const dir = slotDir();
    expect(fileCrashSlots(dir, 3).claim('a')).toBe(true);
    const second = fileCrashSlots(dir, 3);
    expect(second.claim('b')).toBe(true);
    expect(fileCrashSlots(dir, 3).claim('c')).toBe(true);
    expect(second.claim('d')).toBe(false);
    expect(fileCrashSlots(dir, 3).claim('e')).toBe(false);
    expect(readCrashes(dir)).toHaveLength(3);
  });

  it('caps the crashes after one operation, so another still gets its share', () => {
    const dir = slotDir();
    const slots = fileCrashSlots(dir, 3, 2);
    expect(slots.claim('DynamoDB.BatchGetItem')).toBe(true);
    expect(fileCrashSlots(dir, 3, 2).claim('DynamoDB.BatchGetItem')).toBe(true);
    expect(slots.claim('DynamoDB.BatchGetItem')).toBe(false);
    expect(slots.claim('S3.PutObject')).toBe(true);
    expect(slots.claim('S3.PutObject')).toBe(false);
    expect(readCrashes(dir).sort()).toEqual([
      'DynamoDB.BatchGetItem',
      'DynamoDB.BatchGetItem',
      'S3.PutObject',
    ]);
  });

  it('never crashes with a budget of zero', () => {
    const dir = slotDir();
    expect(fileCrashSlots(dir, 0).claim('a')).toBe(false);
    expect(readCrashes(dir)).toEqual([]);
  });

  it('fails loudly when the slot directory is missing instead of silently never crashing', () => {
    const missing = join(slotDir(), 'missing');
    expect(() => fileCrashSlots(missing, 1).claim('a')).toThrow(/ENOENT/);
  });
});
