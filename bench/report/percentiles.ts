export type Distribution = NonNullable<ReturnType<typeof distribution>>;

export const sum = <T>(list: readonly T[], f: (value: T) => number): number =>
  list.reduce((total, value) => total + f(value), 0);

/** Nearest rank, not interpolation, so a reported p99 is a latency some record really had. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new Error('percentile of no values');
  if (!(p > 0 && p <= 100)) throw new Error(`percentile must be in (0, 100], got ${p}`);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

/** undefined for no values: a scenario that measured nothing reports nothing, not zeros. */
export function distribution(values: readonly number[]) {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] as number,
    mean: sorted.reduce((sum, v) => sum + v, 0) / sorted.length,
  };
}
