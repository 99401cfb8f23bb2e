import type { AnalyticsPayload } from '../shared/analytics-payload';
import type { HttpClient } from '../shared/http-client';
import { HttpStatusError, RetriesExhaustedError } from '../shared/http-client';

export type DeliveryOutcome =
  | { delivered: true; status: number }
  | {
      delivered: false;
      reason: string;
      attempts: number;
      /** false for an answer that retrying cannot change (non-retryable 4xx, 3xx). */
      retryable: boolean;
      /** The run's own time budget ended the retries, not Analytics: try again next run, do not park. */
      deadlineReached?: boolean;
    };

export interface AnalyticsPoster {
  /** Posts one payload, retrying inside the deadline; never throws for HTTP failures. */
  post(payload: AnalyticsPayload, deadline: number): Promise<DeliveryOutcome>;
}

/**
 * POSTs to `<baseUrl>/analytics/data` (a path prefix such as an API Gateway stage is kept) with
 * the eventId as `Idempotency-Key`; authentication is the HttpClient's fetch (api-auth.ts).
 * `maxAttempts` is the client's: it reports "attempts used up" and "the deadline came first" with
 * one error class, so fewer attempts than this means the deadline stopped it.
 */
export function createAnalyticsPoster(options: {
  http: Pick<HttpClient, 'request'>;
  baseUrl: string;
  maxAttempts: number;
}): AnalyticsPoster {
  const url = joinUrl(options.baseUrl, '/analytics/data');
  return {
    async post(payload, deadline) {
      try {
        const response = await options.http.request({
          method: 'POST',
          url,
          headers: { 'content-type': 'application/json', 'idempotency-key': payload.eventId },
          body: JSON.stringify(payload),
          deadline,
        });
        if (response.status >= 200 && response.status <= 299)
          return { delivered: true, status: response.status };
        const reason = `unexpected HTTP ${response.status} from Analytics`;
        return { delivered: false, reason, attempts: 1, retryable: false };
      } catch (error) {
        // The client gives up on the first non-retryable answer; earlier 5xx are not counted.
        if (error instanceof HttpStatusError)
          return { delivered: false, reason: error.message, attempts: 1, retryable: false };
        if (error instanceof RetriesExhaustedError) {
          const { message: reason, attempts } = error;
          const deadlineReached = attempts < options.maxAttempts;
          return { delivered: false, reason, attempts, retryable: true, deadlineReached };
        }
        // Circuit open or anything else the client surfaced: nothing reached Analytics.
        const reason = error instanceof Error ? error.message : String(error);
        return { delivered: false, reason, attempts: 0, retryable: true };
      }
    },
  };
}

/**
 * `base` + `path`, keeping any path prefix of `base`: `new URL('/analytics/data', base)` would
 * resolve the absolute path against the host and silently drop an API Gateway stage.
 */
export function joinUrl(base: string, path: string): string {
  return new URL(path.replace(/^\/+/, ''), base.endsWith('/') ? base : `${base}/`).toString();
}
