import { describe, expect, it } from 'vitest';
import { deriveSeed, seededRandom } from './seeded-random';

describe('seededRandom', () => {
  it('is reproducible per seed, in [0, 1), and differs between seeds', () => {
    const draw = (seed: number): number[] => {
      const random = seededRandom(seed);
      return Array.from({ length: 1_000 }, () => random());
    };
    expect(draw(1)).toEqual(draw(1));
    expect(draw(1)).not.toEqual(draw(2));
    expect(draw(1).every((value) => value >= 0 && value < 1)).toBe(true);
  });

  it('derives distinct seeds per stream', () => {
    const seeds = new Set(Array.from({ length: 100 }, (_, stream) => deriveSeed(42, stream)));
    expect(seeds.size).toBe(100);
    expect(deriveSeed(42, 3)).toBe(deriveSeed(42, 3));
  });
});
