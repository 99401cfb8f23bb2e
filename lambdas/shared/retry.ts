/**
 * Exponential backoff with FULL jitter (AWS Architecture Blog, "Exponential Backoff and
 * Jitter"): a uniformly random delay in [0, min(maxDelay, base * 2^retryIndex)). Full jitter
 * spreads retrying clients apart better than equal or no jitter.
 *
 * @param attempt 1-based number of the attempt that just failed (1 → cap = base).
 */
export function fullJitterDelay(
  attempt: number,
  options: { baseDelayMs: number; maxDelayMs: number },
  random: () => number = Math.random,
): number {
  const exponent = Math.max(0, attempt - 1);
  const cap = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** exponent);
  return Math.floor(random() * cap);
}

/**
 * `Retry-After` as milliseconds: either delta-seconds or an HTTP date (RFC 9110 §10.2.3).
 * Returns undefined when absent or unparseable; a date in the past gives 0.
 */
export function parseRetryAfterMs(
  value: string | null | undefined,
  nowMs: number,
): number | undefined {
  const trimmed = value?.trim();
  if (!trimmed) return undefined;
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const dateMs = Date.parse(trimmed);
  if (Number.isNaN(dateMs)) return undefined;
  return Math.max(0, dateMs - nowMs);
}

export const defaultSleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));
