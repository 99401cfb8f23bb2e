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
    };

export interface AnalyticsPoster {
  /** Posts one payload, retrying inside the deadline; never throws for HTTP failures. */
  post(payload: AnalyticsPayload, deadline: number): Promise<DeliveryOutcome>;
}

export interface AnalyticsPosterOptions {
  http: Pick<HttpClient, 'request'>;
  baseUrl: string;
  /** Bearer token for the Analytics API; absent locally. */
  token?: string;
}

export function createAnalyticsPoster(options: AnalyticsPosterOptions): AnalyticsPoster {
  const url = new URL('/analytics/data', options.baseUrl).toString();
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
          };
        }
        // Circuit open or anything else the client surfaced: nothing reached Analytics.
        const reason = error instanceof Error ? error.message : String(error);
        return { delivered: false, reason, attempts: 0, retryable: true };
      }
    },
  };
}
