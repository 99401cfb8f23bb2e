import type { RequestLatency } from './request-channel';

/**
 * Running request counts by `<service>.<operation>`, and the time those requests took; what every
 * counter in this folder feeds. Latencies are kept apart from the counts so a count is always a
 * number of requests (or of items, under `.items`).
 */
export class RequestTally {
  private readonly counts: Record<string, number> = {};
  private readonly latencies: Record<string, RequestLatency> = {};

  add(key: string, by = 1): void {
    this.counts[key] = (this.counts[key] ?? 0) + by;
  }

  /** One request of kind `key` took `ms`, from being sent to its answer. */
  addLatency(key: string, ms: number): void {
    const latency = (this.latencies[key] ??= { count: 0, totalMs: 0 });
    latency.count += 1;
    latency.totalMs += ms;
  }

  snapshot(): Record<string, number> {
    return { ...this.counts };
  }

  latencySnapshot(): Record<string, RequestLatency> {
    return Object.fromEntries(
      Object.entries(this.latencies).map(([key, latency]) => [key, { ...latency }]),
    );
  }
}
