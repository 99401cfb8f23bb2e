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
  const counted = countingFetch(tally, originalFetch);
  Reflect.set(counted, countedMarker, true);
  globalThis.fetch = counted;
}

const countedMarker = Symbol.for('ecom-sync.bench.fetch-counter');

/**
 * A fetch that counts (and times, until the response's headers) each request it makes into
 * `tally` before passing it to `inner`: for code that hands its own clients a fetch (the
 * per-record baseline) instead of counting every fetch of the thread.
 */
export function countingFetch(tally: RequestTally, inner: typeof fetch = fetch): typeof fetch {
  return async (input, init) => {
    const key = `http.${requestLabel(input, init)}`;
    tally.add(key);
    const startedAt = performance.now();
    try {
      return await inner(input, init);
    } finally {
      tally.addLatency(key, performance.now() - startedAt);
    }
  };
}

export function requestLabel(input: string | URL | Request, init?: RequestInit): string {
  const request = input instanceof Request ? input : undefined;
  const url = new URL(request ? request.url : input.toString());
  const method = (init?.method ?? request?.method ?? 'GET').toUpperCase();
  return `${method} ${url.pathname}`;
}
