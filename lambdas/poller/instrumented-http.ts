import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { CircuitBreaker, HttpClient } from '../shared/http-client';
import type { HttpClientOptions } from '../shared/http-client';
import { pollerMetrics } from '../shared/pipeline';

export type MetricUnitName = (typeof MetricUnit)[keyof typeof MetricUnit];

/** The part of a Powertools `Metrics` the poller uses; tests pass a counting fake. */
export interface MetricsSink {
  addMetric(name: string, unit: MetricUnitName, value: number): unknown;
}

export type InstrumentedHttpSettings = Pick<
  HttpClientOptions,
  'timeoutMs' | 'maxAttempts' | 'baseDelayMs' | 'maxDelayMs'
> & { breakerThreshold: number; breakerCooldownMs: number };

/**
 * An HttpClient with its own circuit breaker whose retries, errors and breaker trips become
 * metrics and log lines. Build once per cold start: the breaker's memory of failures must
 * outlive one invocation to protect a struggling API across schedules.
 */
export function createInstrumentedHttpClient(
  settings: InstrumentedHttpSettings,
  { metrics, logger }: { metrics: MetricsSink; logger: Pick<Logger, 'warn' | 'error'> },
  overrides: Pick<HttpClientOptions, 'fetchImpl' | 'sleep' | 'random' | 'now'> = {},
): { http: HttpClient; breaker: CircuitBreaker } {
  const count = (name: string) => metrics.addMetric(name, MetricUnit.Count, 1);
  const breaker = new CircuitBreaker({
    threshold: settings.breakerThreshold,
    cooldownMs: settings.breakerCooldownMs,
    ...(overrides.now ? { now: overrides.now } : {}),
    onOpen: () => {
      count(pollerMetrics.circuitOpened);
      logger.error('circuit breaker opened', { cooldownMs: settings.breakerCooldownMs });
    },
  });
  const http = new HttpClient({
    ...settings,
    breaker,
    ...overrides,
    onRetry: (info) => {
      count(pollerMetrics.apiRetries);
      logger.warn('source API attempt failed; retrying', info);
    },
    onError: () => count(pollerMetrics.apiErrors),
  });
  return { http, breaker };
}
