import { describe, expect, it } from 'vitest';
import { createCrashDecider } from './crash-decider';
import type { CrashSlots } from './crash-slots';
import { mulberry32 } from '../../../lambdas/mock-apis/prng';

function countingSlots(budget: number): CrashSlots & { taken: string[] } {
  const taken: string[] = [];
  return {
    taken,
    claim(operation) {
      if (taken.length >= budget) return false;
      taken.push(operation);
      return true;
    },
  };
}

describe('createCrashDecider', () => {
  it('never crashes after an operation without a probability, and never draws for it', () => {
    let draws = 0;
    const slots = countingSlots(10);
    const decide = createCrashDecider({
      probabilities: { 'DynamoDB.PutItem': 1 },
      random: () => {
        draws++;
        return 0;
      },
      slots,
    });
    expect(decide('S3.GetObject')).toBe(false);
    expect(draws).toBe(0);
    expect(slots.taken).toEqual([]);
  });

  it('crashes when the draw is below the probability, and takes a slot for it', () => {
    const draws = [0.2, 0.09];
    const slots = countingSlots(10);
    const decide = createCrashDecider({
      probabilities: { 'S3.PutObject': 0.1 },
      random: () => draws.shift() ?? 1,
      slots,
    });
    expect(decide('S3.PutObject')).toBe(false);
    expect(decide('S3.PutObject')).toBe(true);
    expect(slots.taken).toEqual(['S3.PutObject']);
  });

  it('stops crashing once the run-wide budget is spent', () => {
    const slots = countingSlots(3);
    const decide = createCrashDecider({
      probabilities: { 'Analytics.POST': 1 },
      random: Math.random,
      slots,
    });
    const outcomes = Array.from({ length: 10 }, () => decide('Analytics.POST'));
    expect(outcomes.filter(Boolean)).toHaveLength(3);
    expect(outcomes.slice(3).some(Boolean)).toBe(false);
  });

  it('crashes at about the planned rate, reproducibly for a seed', () => {
    const run = (seed: number): boolean[] => {
      const decide = createCrashDecider({
        probabilities: { 'DynamoDB.UpdateItem': 0.05 },
        random: mulberry32(seed),
        slots: countingSlots(Number.POSITIVE_INFINITY),
      });
      return Array.from({ length: 10_000 }, () => decide('DynamoDB.UpdateItem'));
    };
    const crashes = run(7).filter(Boolean).length;
    expect(crashes).toBeGreaterThan(400);
    expect(crashes).toBeLessThan(600);
    expect(run(7)).toEqual(run(7));
    expect(run(8)).not.toEqual(run(7));
  });
});
