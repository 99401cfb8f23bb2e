import { describe, expect, it } from 'vitest';
import { fetchForApiAuth } from '../shared/api-auth';
import { HttpClient } from '../shared/http-client';
import { createAnalyticsPoster } from './outbox';
import { buildPayload } from './packing';
import { stagedBatch, stagedKey } from './test-support/fixtures';

const payload = buildPayload(
  [{ stagedKey: stagedKey('a'), batch: stagedBatch('a', 1, 1) }],
  '2026-01-01T00:00:00.000Z',
);

function poster(
  statuses: number[],
  options: { baseUrl?: string; now?: () => number; token?: string } = {},
) {
  const requests: { url: string; init: RequestInit; body: string }[] = [];
  const fetchImpl = (async (url: string, init: RequestInit) => {
    requests.push({ url, init, body: await new Response(init.body).text() });
    const status = statuses.length > 1 ? statuses.shift()! : statuses[0]!;
    return new Response(JSON.stringify({ accepted: status < 300, duplicate: false }), { status });
  }) as typeof fetch;
  const http = new HttpClient({
    timeoutMs: 1_000,
    maxAttempts: 3,
    baseDelayMs: 1,
    maxDelayMs: 2,
    // With a token: the bearer fetch flush's handler builds (fetchForApiAuth), reading it per request.
    fetchImpl:
      fetchForApiAuth('none', {
        region: 'eu-west-1',
        apiTokenParameter: options.token && '/analytics/token',
        readToken: async () => options.token,
        fetchImpl,
      }) ?? fetchImpl,
    sleep: async () => undefined,
    random: () => 1,
    ...(options.now ? { now: options.now } : {}),
  });
  return {
    requests,
    poster: createAnalyticsPoster({
      http,
      baseUrl: options.baseUrl ?? 'http://analytics.test/base/',
      maxAttempts: 3,
    }),
  };
}

describe('createAnalyticsPoster', () => {
  it('POSTs the payload with its eventId as Idempotency-Key (and the bearer fetch its token)', async () => {
    const { requests, poster: analytics } = poster([200], { token: 'secret-token' });
    expect(await analytics.post(payload, Date.now() + 10_000)).toEqual({
      delivered: true,
      status: 200,
    });
    expect(requests).toHaveLength(1);
    expect(requests[0]!.url).toBe('http://analytics.test/base/analytics/data');
    const headers = new Headers(requests[0]!.init.headers);
    expect(headers.get('idempotency-key')).toBe(payload.eventId);
    expect(headers.get('authorization')).toBe('Bearer secret-token');
    expect(JSON.parse(requests[0]!.body)).toEqual(payload);
  });

  it('keeps the stage prefix of a base URL without a trailing slash', async () => {
    const { requests, poster: analytics } = poster([200], {
      baseUrl: 'https://api.example/prod',
    });
    await analytics.post(payload, Date.now() + 10_000);
    expect(requests[0]!.url).toBe('https://api.example/prod/analytics/data');
  });

  it('reports a non-retryable 4xx after one attempt', async () => {
    const { requests, poster: analytics } = poster([400]);
    const outcome = await analytics.post(payload, Date.now() + 10_000);
    expect(outcome).toMatchObject({ delivered: false, retryable: false, attempts: 1 });
    expect(requests).toHaveLength(1);
  });

  it('retries 5xx and reports exhaustion with the attempt count', async () => {
    const { requests, poster: analytics } = poster([503]);
    const outcome = await analytics.post(payload, Date.now() + 10_000);
    expect(outcome).toMatchObject({ delivered: false, retryable: true, attempts: 3 });
    expect(outcome).toMatchObject({ deadlineReached: false });
    expect(requests).toHaveLength(3);
  });

  it('treats a 3xx as a failure, not a delivery', async () => {
    const { poster: analytics } = poster([302]);
    expect(await analytics.post(payload, Date.now() + 10_000)).toMatchObject({
      delivered: false,
      retryable: false,
    });
  });

  it('gives up at the deadline instead of sleeping past it', async () => {
    const { requests, poster: analytics } = poster([503]);
    const outcome = await analytics.post(payload, Date.now() - 1);
    expect(outcome).toMatchObject({
      delivered: false,
      retryable: true,
      attempts: 0,
      deadlineReached: true,
    });
    expect(requests).toHaveLength(0);
  });

  it('tells "the next retry would pass the deadline" apart from attempts used up', async () => {
    const { requests, poster: analytics } = poster([503], { now: () => 1_000 });
    // One attempt fits; the jittered 2 ms delay before the second would end past 1_001.
    const outcome = await analytics.post(payload, 1_001);
    expect(outcome).toMatchObject({ delivered: false, attempts: 1, deadlineReached: true });
    expect(requests).toHaveLength(1);
  });
});
