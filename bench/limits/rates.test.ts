import { describe, expect, it } from 'vitest';
import { fastest, messageBytes, perSecond, rateOver, seconds } from './rates';

describe('perSecond', () => {
  it('divides a count by the elapsed seconds', () => {
    expect(perSecond(2_000, 500)).toBe(4_000);
    expect(rateOver(300, { startMs: 1_000, endMs: 4_000 })).toBe(100);
    expect(seconds({ startMs: 250, endMs: 1_750 })).toBe(1.5);
  });

  it('is 0 for nothing counted, and refuses a rate over an empty interval', () => {
    expect(perSecond(0, 0)).toBe(0);
    expect(() => perSecond(5, 0)).toThrow(/over 0 ms/);
    expect(() => perSecond(5, Number.NaN)).toThrow(/over NaN ms/);
  });
});

describe('fastest', () => {
  it('picks the run with the highest rate, the first on a tie', () => {
    const runs = [
      { concurrency: 16, rate: 900 },
      { concurrency: 48, rate: 1_400 },
      { concurrency: 96, rate: 1_400 },
    ];
    expect(fastest(runs, (run) => run.rate).concurrency).toBe(48);
  });

  it('refuses an empty list', () => {
    expect(() => fastest([], () => 0)).toThrow(/no runs/);
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
