import { describe, expect, it } from 'vitest';
import { ANALYTICS_POST_OPERATION, crashAfterAnalyticsPost } from './analytics-post-crash-hook';

class Crashed extends Error {}
const crash = (): never => {
  throw new Crashed('crashed');
};

function fakeFetch(status: number): typeof fetch & { calls: number } {
  const impl = async (): Promise<Response> => {
    impl.calls++;
    return new Response('{}', { status });
  };
  impl.calls = 0;
  return impl as unknown as typeof fetch & { calls: number };
}

describe('crashAfterAnalyticsPost', () => {
  it('crashes after a 2xx answer to POST …/analytics/data, once the request was sent', async () => {
    const inner = fakeFetch(202);
    const asked: string[] = [];
    const wrapped = crashAfterAnalyticsPost(inner, {
      shouldCrash: (operation) => {
        asked.push(operation);
        return true;
      },
      crash,
    });
    await expect(
      wrapped('http://127.0.0.1:9/prod/analytics/data', { method: 'POST', body: '{}' }),
    ).rejects.toBeInstanceOf(Crashed);
    expect(inner.calls).toBe(1);
    expect(asked).toEqual([ANALYTICS_POST_OPERATION]);
  });

  it('does not consider failed POSTs, other paths or other methods', async () => {
    const asked: string[] = [];
    const options = {
      shouldCrash: (operation: string) => {
        asked.push(operation);
        return true;
      },
      crash,
    };
    const failing = crashAfterAnalyticsPost(fakeFetch(503), options);
    expect((await failing('http://x/analytics/data', { method: 'POST', body: '{}' })).status).toBe(
      503,
    );
    const ok = crashAfterAnalyticsPost(fakeFetch(200), options);
    expect((await ok('http://x/analytics/stats')).status).toBe(200);
    expect((await ok('http://x/crm/customers', { method: 'POST' })).status).toBe(200);
    expect((await ok(new Request('http://x/analytics/data'))).status).toBe(200);
    expect(asked).toEqual([]);
  });

  it('reads method and URL from a Request object', async () => {
    const wrapped = crashAfterAnalyticsPost(fakeFetch(200), { shouldCrash: () => true, crash });
    await expect(
      wrapped(new Request('http://x/analytics/data', { method: 'POST', body: '{}' })),
    ).rejects.toBeInstanceOf(Crashed);
  });

  it('returns the answer untouched when the decider says no', async () => {
    const wrapped = crashAfterAnalyticsPost(fakeFetch(201), { shouldCrash: () => false, crash });
    const response = await wrapped(new URL('http://x/analytics/data'), { method: 'post' });
    expect(response.status).toBe(201);
  });
});
