import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { CircuitBreaker, HttpClient } from '../shared/http-client';
import type { HttpClientOptions } from '../shared/http-client';
import { pollerMetrics } from '../shared/pipeline';

/** The part of a Powertools `Metrics` the poller uses; tests pass a counting fake. */
export interface MetricsSink {
  addMetric(
    name: string,
    unit: (typeof MetricUnit)[keyof typeof MetricUnit],
    value: number,
  ): unknown;
}

export interface InstrumentedHttpSettings {
  timeoutMs: number;
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  breakerThreshold: number;
  breakerCooldownMs: number;
}

/**
 * An HttpClient with its own circuit breaker whose retries, errors and breaker trips become
 * metrics and log lines. Build once per cold start: the breaker's memory of failures must
 * outlive one invocation to protect a struggling API across schedules.
 */
export function createInstrumentedHttpClient(
  settings: InstrumentedHttpSettings,
  observers: {
    metrics: MetricsSink;
    logger: Pick<Logger, 'warn' | 'error'>;
  },
  overrides: Pick<HttpClientOptions, 'fetchImpl' | 'sleep' | 'random' | 'now'> = {},
): { http: HttpClient; breaker: CircuitBreaker } {
  const { metrics, logger } = observers;
  const breaker = new CircuitBreaker({
    threshold: settings.breakerThreshold,
    cooldownMs: settings.breakerCooldownMs,
    ...(overrides.now ? { now: overrides.now } : {}),
    onOpen: () => {
      metrics.addMetric(pollerMetrics.circuitOpened, MetricUnit.Count, 1);
      logger.error('circuit breaker opened', { cooldownMs: settings.breakerCooldownMs });
    },
  });
  const http = new HttpClient({
    timeoutMs: settings.timeoutMs,
    maxAttempts: settings.maxAttempts,
    baseDelayMs: settings.baseDelayMs,
    maxDelayMs: settings.maxDelayMs,
    breaker,
    ...overrides,
    onRetry: (info) => {
      metrics.addMetric(pollerMetrics.apiRetries, MetricUnit.Count, 1);
      logger.warn('source API attempt failed; retrying', info);
    },
    onError: () => {
      metrics.addMetric(pollerMetrics.apiErrors, MetricUnit.Count, 1);
    },
  });
  return { http, breaker };
}
