import type { RequestTally } from './request-tally';

/**
 * Counts HTTP requests sent with the global `fetch` in this thread, by method and path
 * (`http.GET /crm/customers`, `http.POST /analytics/data`), each retry included. The handlers'
 * HTTP client takes `fetch` when it is built, after the preload ran, so wrapping the global
 * reaches it without touching production code.
 */
export function installFetchCounter(tally: RequestTally): void {
  const originalFetch = globalThis.fetch;
  if (Reflect.get(originalFetch, countedMarker) === true) return;
  const counted: typeof fetch = (input, init) => {
    tally.add(`http.${requestLabel(input, init)}`);
    return originalFetch(input, init);
  };
  Reflect.set(counted, countedMarker, true);
  globalThis.fetch = counted;
}

const countedMarker = Symbol.for('ecom-sync.bench.fetch-counter');

export function requestLabel(input: string | URL | Request, init?: RequestInit): string {
  const request = input instanceof Request ? input : undefined;
  const url = new URL(request ? request.url : input.toString());
  const method = (init?.method ?? request?.method ?? 'GET').toUpperCase();
  return `${method} ${url.pathname}`;
}
