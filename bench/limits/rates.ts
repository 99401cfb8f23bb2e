/** The arithmetic of the limit and baseline figures, kept pure so it can be unit tested. */

/** Events per second over an interval measured in milliseconds; 0 for an empty interval. */
export function perSecond(count: number, elapsedMs: number): number {
  if (count === 0) return 0;
  if (!(elapsedMs > 0)) {
    throw new Error(`cannot compute a rate of ${count} over ${elapsedMs} ms`);
  }
  return count / (elapsedMs / 1000);
}

/** A wall-clock interval as performance.now() readings. */
export interface Interval {
  startMs: number;
  endMs: number;
}

export function seconds(interval: Interval): number {
  return (interval.endMs - interval.startMs) / 1000;
}

export function rateOver(count: number, interval: Interval): number {
  return perSecond(count, interval.endMs - interval.startMs);
}

/** The run with the highest rate: a limit is the best any setting achieved, not an average. */
export function fastest<T>(runs: readonly T[], rateOf: (run: T) => number): T {
  const [first, ...rest] = runs;
  if (first === undefined) throw new Error('no runs to pick the fastest from');
  return rest.reduce((best, run) => (rateOf(run) > rateOf(best) ? run : best), first);
}

/** Total bytes of key plus value, what a Kafka throughput figure is usually quoted against. */
export function messageBytes(
  messages: ReadonlyArray<{ key: string | null; value: Buffer }>,
): number {
  let bytes = 0;
  for (const { key, value } of messages) {
    bytes += value.length + (key === null ? 0 : Buffer.byteLength(key, 'utf8'));
  }
  return bytes;
}
