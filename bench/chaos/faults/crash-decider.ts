import type { CrashSlots } from './crash-slots';

export interface CrashDeciderOptions {
  /** Operation → probability of a crash right after it succeeded; absent = never. */
  probabilities: Readonly<Record<string, number>>;
  /** Uniform in [0, 1). */
  random: () => number;
  slots: CrashSlots;
}

/**
 * Decides, after each successful operation, whether the execution environment dies now: a seeded
 * draw against the operation's probability, then a slot of the run-wide crash budget.
 */
export function createCrashDecider(options: CrashDeciderOptions): (operation: string) => boolean {
  return (operation) => {
    const probability = options.probabilities[operation] ?? 0;
    if (probability <= 0) return false;
    if (options.random() >= probability) return false;
    return options.slots.claim(operation);
  };
}
