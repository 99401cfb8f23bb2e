/**
 * FULL jitter (AWS Architecture Blog, "Exponential Backoff and Jitter"): uniform in
 * [0, min(maxDelay, base * 2^(attempt - 1))), `attempt` being the 1-based attempt that just failed.
 */
export function fullJitterDelay(
  attempt: number,
  options: { baseDelayMs: number; maxDelayMs: number },
  random: () => number = Math.random,
): number {
  const cap = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * cap);
}

/**
 * `Retry-After` as milliseconds: either delta-seconds or an HTTP date (RFC 9110 §10.2.3).
 * Returns undefined when absent or unparseable; a date in the past gives 0.
 */
export function parseRetryAfterMs(value: string | null | undefined, nowMs: number) {
  const trimmed = value?.trim();
  if (!trimmed) return undefined;
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const dateMs = Date.parse(trimmed);
  if (Number.isNaN(dateMs)) return undefined;
  return Math.max(0, dateMs - nowMs);
}

export const defaultSleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));
