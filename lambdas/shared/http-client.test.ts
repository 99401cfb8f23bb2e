import { describe, expect, it, vi } from 'vitest';
import {
  CircuitBreaker,
  CircuitOpenError,
  HttpClient,
  HttpStatusError,
  RetriesExhaustedError,
  joinUrl,
} from './http-client';
import type { HttpClientOptions } from './http-client';

type Reply = { status: number; body?: string; headers?: Record<string, string> } | Error;

/** A fetch that answers from a script, one reply per call, and records what it was asked. */
function scriptedFetch(replies: Reply[]) {
  const calls: { url: string; init: RequestInit | undefined }[] = [];
  const fetchImpl = vi.fn(async (url: string | URL | Request, init?: RequestInit) => {
    calls.push({ url: url instanceof Request ? url.url : url.toString(), init });
    const reply = replies.shift();
    if (reply === undefined) throw new Error('script exhausted');
    if (reply instanceof Error) throw reply;
    return new Response(reply.body ?? '', { status: reply.status, headers: reply.headers });
  });
  return { fetchImpl: fetchImpl as unknown as typeof fetch, calls };
}

function client(replies: Reply[], overrides: Partial<HttpClientOptions> = {}) {
  const { fetchImpl, calls } = scriptedFetch(replies);
  const sleeps: number[] = [];
  const retries: { attempt: number; delayMs: number; reason: string; status?: number }[] = [];
  const errors: { attempt: number; reason: string; status?: number }[] = [];
  const http = new HttpClient({
    timeoutMs: 1_000,
    maxAttempts: 4,
    baseDelayMs: 100,
    maxDelayMs: 1_000,
    fetchImpl,
    random: () => 0.5,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    onRetry: (info) => retries.push(info),
    onError: (info) => errors.push(info),
    ...overrides,
  });
  return { http, calls, sleeps, retries, errors };
}

const get = { method: 'GET' as const, url: 'http://api.test/crm/customers?limit=1' };

describe('HttpClient retries', () => {
  it('retries 5xx and network errors with full-jitter exponential backoff, then succeeds', async () => {
    const { http, calls, sleeps, retries } = client([
      { status: 500 },
      new TypeError('fetch failed'),
      { status: 502 },
      { status: 200, body: '{"ok":true}' },
    ]);
    const response = await http.request(get);
    expect(response.status).toBe(200);
    expect(response.body).toBe('{"ok":true}');
    expect(calls).toHaveLength(4);
    // random() = 0.5 → half of min(maxDelay, base * 2^(attempt-1)): 50, 100, 200
    expect(sleeps).toEqual([50, 100, 200]);
    expect(retries.map((r) => r.reason)).toEqual([
      'HTTP 500',
      'network error: fetch failed',
      'HTTP 502',
    ]);
  });

  it('caps the backoff at maxDelayMs', async () => {
    const { http, sleeps } = client(
      [{ status: 500 }, { status: 500 }, { status: 500 }, { status: 500 }, { status: 200 }],
      { maxAttempts: 5, baseDelayMs: 400, maxDelayMs: 1_000, random: () => 0.999 },
    );
    await http.request(get);
    expect(sleeps).toEqual([399, 799, 999, 999]);
  });

  it('honours Retry-After seconds on 429 as a floor over the jittered delay', async () => {
    const { http, sleeps, retries } = client([
      { status: 429, headers: { 'retry-after': '3' } },
      { status: 200 },
    ]);
    await http.request(get);
    expect(sleeps).toEqual([3_000]);
    expect(retries[0]).toMatchObject({ status: 429, delayMs: 3_000 });
  });

  it('honours Retry-After as an HTTP date on 503', async () => {
    const now = Date.parse('2025-06-01T12:00:00Z');
    const { http, sleeps } = client(
      [
        { status: 503, headers: { 'retry-after': 'Sun, 01 Jun 2025 12:00:05 GMT' } },
        { status: 200 },
      ],
      { now: () => now },
    );
    await http.request(get);
    expect(sleeps).toEqual([5_000]);
  });

  it('keeps the jittered delay when Retry-After is smaller', async () => {
    const { http, sleeps } = client([
      { status: 429, headers: { 'retry-after': '0' } },
      { status: 200 },
    ]);
    await http.request(get);
    expect(sleeps).toEqual([50]);
  });

  it('never retries other 4xx and reports them as HttpStatusError', async () => {
    const { http, calls, errors } = client([
      { status: 404, body: 'no such thing' },
      { status: 200 },
    ]);
    const error = await http.request(get).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpStatusError);
    expect(error).toMatchObject({ status: 404, body: 'no such thing' });
    expect(calls).toHaveLength(1);
    expect(errors).toEqual([{ attempt: 1, reason: 'HTTP 404', status: 404 }]);
  });

  it('keeps the response body and the query string out of the HttpStatusError message (PII, cursors)', async () => {
    const echoed = '{"error":"invalid record","record":{"email":"jane.doe@example.com"}}';
    const { http } = client([{ status: 400, body: echoed }]);
    const error = await http
      .request({ method: 'GET', url: 'http://api.test/base/crm/customers?cursor=opaque-123' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpStatusError);
    expect((error as HttpStatusError).message).toBe('HTTP 400 GET /base/crm/customers');
    expect((error as HttpStatusError).body).toBe(echoed);
  });

  it('gives up with RetriesExhaustedError after maxAttempts', async () => {
    const { http, calls, sleeps } = client([
      { status: 500 },
      { status: 500 },
      { status: 500 },
      { status: 503 },
    ]);
    const error = await http.request(get).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetriesExhaustedError);
    expect(error).toMatchObject({ attempts: 4, lastReason: 'HTTP 503', lastStatus: 503 });
    expect(calls).toHaveLength(4);
    expect(sleeps).toHaveLength(3);
  });

  it('gives up instead of sleeping past the deadline', async () => {
    const now = 1_000_000;
    const { http, sleeps, calls } = client(
      [{ status: 429, headers: { 'retry-after': '30' } }, { status: 200 }],
      { now: () => now },
    );
    const error = await http.request({ ...get, deadline: now + 10_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetriesExhaustedError);
    expect((error as Error).message).toContain('deadline');
    expect(sleeps).toEqual([]);
    expect(calls).toHaveLength(1);
  });

  it('times out an attempt that does not answer and retries it', async () => {
    let call = 0;
    const fetchImpl = ((_url: string, init?: RequestInit) => {
      call += 1;
      if (call === 2) return Promise.resolve(new Response('late but fine', { status: 200 }));
      // Never answers; only the per-attempt abort signal ends it, with AbortSignal.timeout's reason.
      return new Promise<Response>((_resolve, reject) => {
        init?.signal?.addEventListener('abort', () =>
          reject(new DOMException('The operation was aborted due to timeout', 'TimeoutError')),
        );
      });
    }) as unknown as typeof fetch;
    const { http, retries } = client([], { fetchImpl, timeoutMs: 20 });
    const response = await http.request(get);
    expect(response.body).toBe('late but fine');
    expect(retries[0]?.reason).toBe('timeout after 20 ms');
  });

  it('sends method, headers and body', async () => {
    const { http, calls } = client([{ status: 200 }]);
    await http.request({
      method: 'POST',
      url: 'http://api.test/analytics/data',
      headers: { 'Idempotency-Key': 'abc' },
      body: '{"x":1}',
    });
    expect(calls[0]?.init).toMatchObject({
      method: 'POST',
      headers: { 'Idempotency-Key': 'abc' },
      body: '{"x":1}',
    });
  });
});

describe('CircuitBreaker in HttpClient', () => {
  it('opens after threshold consecutive failures, fails fast, then lets one trial through after the cooldown', async () => {
    let now = 0;
    const onOpen = vi.fn();
    const breaker = new CircuitBreaker({ threshold: 3, cooldownMs: 5_000, now: () => now, onOpen });
    const { http, calls } = client(
      [{ status: 500 }, { status: 500 }, { status: 500 }, { status: 200, body: 'back' }],
      { breaker, maxAttempts: 10, now: () => now },
    );

    const first = await http.request(get).catch((e: unknown) => e);
    expect(first).toBeInstanceOf(CircuitOpenError);
    expect(calls).toHaveLength(3);
    expect(onOpen).toHaveBeenCalledTimes(1);
    expect(breaker.state).toBe('open');

    await expect(http.request(get)).rejects.toBeInstanceOf(CircuitOpenError);
    expect(calls).toHaveLength(3);

    now = 5_000;
    expect(breaker.state).toBe('half-open');
    const trial = await http.request(get);
    expect(trial.body).toBe('back');
    expect(breaker.state).toBe('closed');
  });

  it('re-opens when the half-open trial fails', () => {
    let now = 0;
    const onOpen = vi.fn();
    const breaker = new CircuitBreaker({ threshold: 2, cooldownMs: 100, now: () => now, onOpen });
    breaker.recordFailure();
    breaker.recordFailure();
    expect(breaker.state).toBe('open');
    now = 100;
    breaker.beforeAttempt();
    // A second caller during the trial fails fast.
    expect(() => breaker.beforeAttempt()).toThrow(CircuitOpenError);
    breaker.recordFailure();
    expect(breaker.state).toBe('open');
    expect(onOpen).toHaveBeenCalledTimes(2);
  });

  it('does not count 429s or non-retryable 4xx as breaker failures', async () => {
    const breaker = new CircuitBreaker({ threshold: 2, cooldownMs: 1_000 });
    const { http } = client([{ status: 429 }, { status: 429 }, { status: 429 }, { status: 400 }], {
      breaker,
    });
    await expect(http.request(get)).rejects.toBeInstanceOf(HttpStatusError);
    expect(breaker.state).toBe('closed');
  });
});

describe('joinUrl', () => {
  it('keeps a stage prefix of the base URL, with or without a trailing slash', () => {
    expect(joinUrl('https://x.example/prod', '/analytics/data')).toBe(
      'https://x.example/prod/analytics/data',
    );
    expect(joinUrl('https://x.example/prod/', 'analytics/data')).toBe(
      'https://x.example/prod/analytics/data',
    );
  });

  it('joins onto a bare origin', () => {
    expect(joinUrl('http://127.0.0.1:4010', '/analytics/data')).toBe(
      'http://127.0.0.1:4010/analytics/data',
    );
  });
});
