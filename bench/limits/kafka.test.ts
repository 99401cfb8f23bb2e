import { describe, expect, it } from 'vitest';
import { messageBytes, perSecond } from './kafka';

describe('perSecond', () => {
  it('divides a count by the elapsed seconds', () => {
    expect(perSecond(2_000, 500)).toBe(4_000);
  });

  it('is 0 for nothing counted, and refuses a rate over an empty interval', () => {
    expect(perSecond(0, 0)).toBe(0);
    expect(() => perSecond(5, 0)).toThrow(/over 0 ms/);
    expect(() => perSecond(5, Number.NaN)).toThrow(/over NaN ms/);
  });
});

describe('messageBytes', () => {
  it('adds the UTF-8 bytes of keys and values, null keys counting nothing', () => {
    expect(
      messageBytes([
        { key: 'é', value: Buffer.from('abc') },
        { key: null, value: Buffer.alloc(10) },
      ]),
    ).toBe(2 + 3 + 10);
  });
});
