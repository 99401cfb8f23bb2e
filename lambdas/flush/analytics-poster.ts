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
      /**
       * The run's own time budget ended the retries, not Analytics: the payload is not
       * undeliverable and must be tried again by the next run, not parked.
       */
      deadlineReached?: true;
    };

export interface AnalyticsPoster {
  /** Posts one payload, retrying inside the deadline; never throws for HTTP failures. */
  post(payload: AnalyticsPayload, deadline: number): Promise<DeliveryOutcome>;
}

export interface AnalyticsPosterOptions {
  http: Pick<HttpClient, 'request'>;
  /** May carry a path prefix (an API Gateway stage); it is kept. */
  baseUrl: string;
  /**
   * The HttpClient's maxAttempts. The client reports "attempts used up" and "the deadline came
   * first" with the same error class; fewer attempts than this means the deadline stopped it.
   */
  maxAttempts: number;
  /** Bearer token for the Analytics API; absent locally. */
  token?: string;
}

export function createAnalyticsPoster(options: AnalyticsPosterOptions): AnalyticsPoster {
  const url = joinUrl(options.baseUrl, '/analytics/data');
  return {
    async post(payload, deadline) {
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        'idempotency-key': payload.eventId,
      };
      if (options.token) headers.authorization = `Bearer ${options.token}`;
      try {
        const response = await options.http.request({
          method: 'POST',
          url,
          headers,
          body: JSON.stringify(payload),
          deadline,
        });
        if (response.status < 200 || response.status > 299) {
          return {
            delivered: false,
            reason: `unexpected HTTP ${response.status} from Analytics`,
            attempts: 1,
            retryable: false,
          };
        }
        return { delivered: true, status: response.status };
      } catch (error) {
        if (error instanceof HttpStatusError) {
          // The client gives up on the first non-retryable answer; earlier 5xx are not counted.
          return { delivered: false, reason: error.message, attempts: 1, retryable: false };
        }
        if (error instanceof RetriesExhaustedError) {
          return {
            delivered: false,
            reason: error.message,
            attempts: error.attempts,
            retryable: true,
            ...(error.attempts < options.maxAttempts ? { deadlineReached: true as const } : {}),
          };
        }
        // Circuit open or anything else the client surfaced: nothing reached Analytics.
        const reason = error instanceof Error ? error.message : String(error);
        return { delivered: false, reason, attempts: 0, retryable: true };
      }
    },
  };
}

/**
 * `base` + `path`, keeping any path prefix of `base` (an API Gateway stage such as
 * `https://x.execute-api…/prod`). `new URL('/analytics/data', base)` would resolve the
 * absolute path against the host and silently drop the prefix.
 */
export function joinUrl(base: string, path: string): string {
  const directory = base.endsWith('/') ? base : `${base}/`;
  return new URL(path.replace(/^\/+/, ''), directory).toString();
}
