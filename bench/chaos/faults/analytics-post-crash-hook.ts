/** The operation name the crash budget records for a POST that Analytics accepted. */
export const ANALYTICS_POST_OPERATION = 'Analytics.POST';

export interface AnalyticsPostCrashOptions {
  /** Path the payloads go to (the base URL may carry a prefix before it). */
  pathSuffix?: string;
  shouldCrash: (operation: string) => boolean;
  crash: (operation: string) => never;
}

/**
 * A `fetch` that, after Analytics answered 2xx to `POST …/analytics/data`, may end the execution
 * environment before the caller sees the answer: the payload is delivered but flush never moves
 * its batches out of staging/. Wrapping fetch injects the fault without touching production code.
 */
export function crashAfterAnalyticsPost(
  fetchImpl: typeof fetch,
  options: AnalyticsPostCrashOptions,
): typeof fetch {
  const pathSuffix = options.pathSuffix ?? '/analytics/data';
  return async (input, init) => {
    const response = await fetchImpl(input, init);
    const request = input instanceof Request ? input : undefined;
    const method = (init?.method ?? request?.method ?? 'GET').toUpperCase();
    const url = new URL(request?.url ?? String(input));
    if (
      method === 'POST' &&
      url.pathname.endsWith(pathSuffix) &&
      response.ok &&
      options.shouldCrash(ANALYTICS_POST_OPERATION)
    ) {
      options.crash(ANALYTICS_POST_OPERATION);
    }
    return response;
  };
}
